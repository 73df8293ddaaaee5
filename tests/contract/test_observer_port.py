"""Contract tests of the metrics port (core.ports.Observer) on its adapter (adapters.metrics.
PrometheusMetrics), read back as /metrics shows it. There is no fake to hold it to: the unit
tests observe with this adapter itself (it lives in memory) or with none, so these hold it to
what the pipeline sends: every platform, outcome, error type and stage."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import pytest

from adapters.metrics import PrometheusMetrics
from core import errors
from core.models import Outcome, Platform
from core.ports import Observation


def error_types(base: type[Exception] = errors.MedGPTError) -> list[str]:
    """Every error type of core.errors: what the pipeline names in an observation."""
    return [base.__name__, *(n for sub in base.__subclasses__() for n in error_types(sub))]


def observe(
    metrics: PrometheusMetrics,
    platform: Platform,
    outcome: Outcome,
    *,
    total_ms: int = 1200,
    stages: Mapping[str, int] | None = None,
    error: str | None = None,
    audit_failures: int = 0,
) -> None:
    metrics.observe(Observation(platform, outcome, total_ms, stages or {}, error, audit_failures))


def sample(metrics: PrometheusMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(("platform", "outcome"), list(itertools.product(Platform, Outcome)))
def test_each_reply_counts_once_under_its_platform_and_outcome(
    platform: Platform, outcome: Outcome
) -> None:
    """The operator's dashboard counts every question of every surface, each reply under its
    outcome, and abstentions apart (an alert on a rise of abstentions sees them all, and only
    them)."""
    metrics = PrometheusMetrics()
    observe(metrics, platform, outcome)
    observe(metrics, platform, outcome)
    assert sample(metrics, "medgpt_questions_total", platform=platform.value) == 2
    assert (
        sample(metrics, "medgpt_answers_total", platform=platform.value, outcome=outcome.value) == 2
    )
    abstained = 2 if outcome is Outcome.ABSTAINED else 0
    assert sample(metrics, "medgpt_abstentions_total", platform=platform.value) == abstained
    others = [p for p in Platform if p is not platform]
    assert all(sample(metrics, "medgpt_questions_total", platform=p.value) == 0 for p in others)


@pytest.mark.parametrize("error", error_types())
def test_each_error_type_is_counted_under_its_own_name(error: str) -> None:
    """An alert on one failure (GeneratorUnavailable, StoreUnavailable…) fires on each of
    them, and a reply without a failure counts none."""
    metrics = PrometheusMetrics()
    observe(metrics, Platform.SLACK, Outcome.ERROR, error=error)
    observe(metrics, Platform.SLACK, Outcome.ANSWERED)
    assert sample(metrics, "medgpt_errors_total", type=error) == 1
    assert sum(sample(metrics, "medgpt_errors_total", type=e) for e in error_types()) == 1


def test_stages_are_timed_in_seconds_and_lost_audit_writes_summed() -> None:
    """The latency panels read seconds for the whole reply, the search and the writing, and
    the audit panel counts every audit write lost (a lost audit row is a compliance gap)."""
    metrics = PrometheusMetrics()
    stages = {"retrieve_ms": 250, "generate_ms": 4000}
    observe(metrics, Platform.MATRIX, Outcome.ANSWERED, total_ms=4300, stages=stages)
    observe(metrics, Platform.MATRIX, Outcome.ERROR, audit_failures=2)
    observe(metrics, Platform.CONSOLE, Outcome.ANSWERED, audit_failures=1)
    seconds = {
        stage: sample(metrics, "medgpt_stage_seconds_sum", stage=stage)
        for stage in ("total", "retrieve", "generate")
    }
    assert seconds == pytest.approx({"total": 4.3 + 1.2 + 1.2, "retrieve": 0.25, "generate": 4.0})
    assert sample(metrics, "medgpt_stage_seconds_count", stage="total") == 3
    assert sample(metrics, "medgpt_audit_failures_total") == 3
