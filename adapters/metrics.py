"""Prometheus metrics of the answering pipeline (one registry per process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from core.ports import Observation

# Seconds: from a fast extractive answer to a slow model on a busy GPU.
BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80)


class PrometheusMetrics:
    content_type = "text/plain; version=0.0.4; charset=utf-8"

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "medgpt_questions", "Questions received", ["platform"], registry=self.registry
        )
        self.answers = Counter(
            "medgpt_answers", "Replies by outcome", ["platform", "outcome"], registry=self.registry
        )
        self.abstentions = Counter(
            "medgpt_abstentions", "Replies that abstained", ["platform"], registry=self.registry
        )
        self.latency = Histogram(
            "medgpt_stage_seconds",
            "Latency by stage (retrieve, generate, total)",
            ["stage"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "medgpt_errors", "Failures by core error type", ["type"], registry=self.registry
        )
        self.audit_failures = Counter(
            "medgpt_audit_failures", "Audit writes that failed", registry=self.registry
        )

    def observe(self, observation: Observation) -> None:
        platform = observation.platform.value
        self.questions.labels(platform).inc()
        self.answers.labels(platform, observation.outcome.value).inc()
        if observation.outcome.value == "abstained":
            self.abstentions.labels(platform).inc()
        self.latency.labels("total").observe(observation.total_ms / 1000)
        for stage, ms in observation.stages.items():
            self.latency.labels(stage.removesuffix("_ms")).observe(ms / 1000)
        if observation.error:
            self.errors.labels(observation.error).inc()
        if observation.audit_failures:
            self.audit_failures.inc(observation.audit_failures)

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))
