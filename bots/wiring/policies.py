"""Policies, from the settings: what counts as evidence, the emergency numbers, how the two
search arms weigh, how users are pseudonymised in the audit. Each built by keyword, once."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable

from adapters.postgres.store import TEXT_WEIGHT
from bots.settings import Settings
from core.evidence import EvidencePolicy
from core.models import Language, UserId
from core.pipeline import PipelineSettings
from core.triage import EmergencyNumbers


def evidence_policy(settings: Settings) -> EvidencePolicy:
    """The thresholds a passage must pass to support an answer (MEDGPT_MIN_*)."""
    return EvidencePolicy(
        min_similarity=settings.min_similarity,
        min_coverage=settings.min_coverage,
        min_similarity_with_coverage=settings.min_similarity_with_coverage,
        min_passages=settings.min_passages,
    )


def emergency_numbers(settings: Settings) -> EmergencyNumbers:
    """The numbers an emergency reply gives."""
    return EmergencyNumbers(
        emergency=settings.emergency_number,
        european=settings.european_emergency_number,
        suicide=settings.suicide_line,
        hospital=settings.hospital_emergency_call,
    )


def pipeline_settings(settings: Settings) -> PipelineSettings:
    return PipelineSettings(
        k=settings.retrieval_k,
        max_question_chars=settings.max_question_chars,
        evidence=evidence_policy(settings),
        emergency_numbers=emergency_numbers(settings),
        audience=settings.audience,
    )


def text_weight(settings: Settings) -> dict[Language, float]:
    """The full-text arm's weight by language: the settings', or the store's default."""
    chosen: dict[Language, float | None] = {
        "fr": settings.text_weight_fr,
        "en": settings.text_weight_en,
    }
    return {lang: TEXT_WEIGHT[lang] if w is None else w for lang, w in chosen.items()}


def pseudonymizer(key: bytes) -> Callable[[UserId], str]:
    """HMAC-SHA256 of the user id: the same clinician is linkable in the audit, not named."""
    return lambda user: hmac.new(key, user.encode(), hashlib.sha256).hexdigest()


def audit_key(settings: Settings) -> bytes:
    """MEDGPT_AUDIT_KEY, or on the embedded default a random key kept in the data directory."""
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    path = settings.data_dir / "audit.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
