"""Generate an answer from the evidence and keep only what the evidence supports (pure).

The generator (a language model, or the extractive quoter) writes a draft; the citation check
removes every sentence it cannot verify. When the model fails or too little survives, the
extractive fallback answers instead, and the reply says so. The audit gets every reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from core import compose
from core.citations import StreamingCheck, check_answer
from core.errors import GeneratorBusy, GeneratorError
from core.models import Language, Passage, Reply
from core.ports import Draft, Generator, OnProgress, OnText, Progress
from core.prompt import NO_ANSWER

log = structlog.get_logger(__name__)

MIN_KEPT_SHARE = 0.5  # below this share of verified sentences, the draft is not shown

_FALLBACK_NOTICE: dict[Language, dict[str, str]] = {
    "fr": {
        "error": "Le modèle de langage est indisponible : voici des extraits des sources.",
        "unverified": "La réponse du modèle n'a pas pu être vérifiée dans les sources : "
        "voici des extraits des sources.",
    },
    "en": {
        "error": "The language model is unavailable: here are excerpts from the sources.",
        "unverified": "The model's answer could not be verified against the sources: "
        "here are excerpts from the sources.",
    },
}
_REMOVED_NOTICE: dict[Language, str] = {
    "fr": "{n} phrase(s) de la réponse générée, non vérifiable(s) dans les sources, retirée(s).",
    "en": "{n} sentence(s) of the generated answer could not be verified and were removed.",
}


@dataclass
class Grounded:
    reply: Reply
    draft: Draft | None = None
    details: dict[str, object] = field(default_factory=dict)


async def grounded_answer(
    generator: Generator,
    fallback: Generator | None,
    question: str,
    language: Language,
    evidence: Sequence[Passage],
    on_progress: OnProgress | None = None,
) -> Grounded:
    on_text = _progress(on_progress, language, evidence)
    try:
        draft = await generator.generate(question, language, evidence, on_text)
    except GeneratorBusy as exc:
        return Grounded(compose.busy(language), details={"error": describe(exc)})
    except GeneratorError as exc:
        log.error("generator_failed", error=type(exc).__name__, reason=str(exc))
        if fallback is None:
            return Grounded(compose.unavailable(language), details={"error": describe(exc)})
        result = await _fallback(fallback, question, language, evidence, "error")
        result.details["error"] = describe(exc)
        return result
    if draft is None or _says_no_answer(draft.text):
        return Grounded(compose.abstained(language), draft)
    if draft.verbatim:
        return Grounded(compose.answered(language, draft.text, evidence), draft)
    shown = evidence[: draft.shown] if draft.shown is not None else evidence
    checked = check_answer(draft.text, shown)
    total = checked.kept + len(checked.removed)
    details: dict[str, object] = {
        "removed": [{"sentence": r.sentence, "reason": r.reason} for r in checked.removed],
        "prompt_version": draft.prompt_version,
        "draft_generator": draft.generator,
        "generation": dict(draft.parameters),
        "draft": draft.text,
    }
    if checked.kept == 0 or checked.kept < MIN_KEPT_SHARE * total:
        if fallback is None:
            return Grounded(compose.abstained(language), draft, details)
        result = await _fallback(fallback, question, language, evidence, "unverified")
        result.details.update(details)
        return result
    notices = (_REMOVED_NOTICE[language].format(n=len(checked.removed)),) if checked.removed else ()
    return Grounded(compose.answered(language, checked.text, shown, notices), draft, details)


async def _fallback(
    fallback: Generator, question: str, language: Language, evidence: Sequence[Passage], why: str
) -> Grounded:
    draft = await fallback.generate(question, language, evidence)
    if draft is None:
        return Grounded(compose.abstained(language), None, {"fallback": why})
    notice = _FALLBACK_NOTICE[language][why]
    reply = compose.answered(language, draft.text, evidence, (notice,))
    return Grounded(reply, draft, {"fallback": why})


def _progress(
    on_progress: OnProgress | None, language: Language, evidence: Sequence[Passage]
) -> OnText | None:
    """The generator's draft as Progress: its size, and what of it is already verified."""
    if on_progress is None:
        return None
    check = StreamingCheck(evidence)

    async def on_text(draft: str) -> None:
        kept = check.passed(draft)
        verified = compose.answered(language, " ".join(kept), evidence).text if kept else ""
        await on_progress(Progress(len(draft.split()), verified))

    return on_text


def _says_no_answer(text: str) -> bool:
    """The model followed the rule for passages that do not answer."""
    cleaned = " ".join(text.split()).strip(" «»\"'")
    return any(cleaned.startswith(phrase.rstrip(".")) for phrase in NO_ANSWER.values())


def describe(exc: Exception) -> str:
    """How a failure is recorded in the audit: its type, then its message."""
    return f"{type(exc).__name__}: {exc}"
