"""Turn retrieved passages and a draft into the Reply every platform renders (pure)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from core.models import Disclaimer, Language, Outcome, Passage, Reply, Source
from core.privacy import quotable
from core.triage import Emergency, EmergencyNumbers

# Versioned: the audit records which text was shown. Change the text, bump the version.
DISCLAIMERS: dict[Language, Disclaimer] = {
    "fr": Disclaimer(
        "Information générée par un système d'IA à destination des professionnels de santé, "
        "à partir des sources citées. Elle ne remplace pas le jugement clinique : "
        "vérifiez les sources avant toute décision.",
        "fr-1",
    ),
    "en": Disclaimer(
        "AI-generated information for health professionals, drawn from the sources cited. "
        "It does not replace clinical judgement: check the sources before any decision.",
        "en-1",
    ),
}

_ABSTAIN: dict[Language, str] = {
    "fr": (
        "Je n'ai rien trouvé de suffisamment pertinent dans les sources validées pour répondre "
        "à cette question. Essayez de la reformuler (nom de la molécule, situation clinique, "
        "population), ou consultez directement les références de votre établissement."
    ),
    "en": (
        "I found nothing relevant enough in the validated sources to answer this question. "
        "Try rephrasing it (drug name, clinical situation, population), or consult your "
        "institution's references directly."
    ),
}

_UNAVAILABLE: dict[Language, str] = {
    "fr": (
        "Le service de recherche dans les sources validées est momentanément indisponible. "
        "Votre question n'a pas été traitée ; réessayez dans quelques minutes."
    ),
    "en": (
        "The search in the validated sources is unavailable at the moment. "
        "Your question was not processed; please try again in a few minutes."
    ),
}

_EMERGENCY: dict[Language, str] = {
    "fr": (
        "🚨 Urgence : appelez immédiatement le {emergency} ou le {european}. "
        "Détresse suicidaire : {suicide} (24 h/24, gratuit). "
        "Je suis un assistant documentaire : je ne peux pas prendre en charge une urgence. "
        "Suivez les protocoles d'urgence de votre établissement."
    ),
    "en": (
        "🚨 Emergency: call {emergency} or {european} now. "
        "Suicidal crisis: {suicide} (24/7, free). "
        "I am a documentation assistant: I cannot handle an emergency. "
        "Follow your institution's emergency protocols."
    ),
}
# Suicidal intent leads with the crisis line, whoever writes.
_CRISIS: dict[Language, str] = {
    "fr": (
        "🚨 Vous n'êtes pas seul·e : appelez le {suicide} (prévention du suicide, 24 h/24, "
        "gratuit), ou le {emergency} ou le {european} en cas de danger immédiat. "
        "Je suis un assistant documentaire : je ne peux pas vous aider comme une personne le "
        "peut ; parlez-en maintenant à quelqu'un près de vous."
    ),
    "en": (
        "🚨 You are not alone: call {suicide} (suicide prevention, 24/7, free), or {emergency} "
        "or {european} if there is immediate danger. "
        "I am a documentation assistant: I cannot help the way a person can; talk to someone "
        "near you now."
    ),
}
# The banner over a clinician's sourced answer: the numbers, the answer follows.
_BANNER: dict[Language, str] = {
    "fr": "🚨 Urgence en cours ({kind}) : {calls}. Réponse documentaire ci-dessous, à appliquer "
    "selon les protocoles de votre établissement.",
    "en": "🚨 Emergency in progress ({kind}): {calls}. Documentation answer below, to apply "
    "under your institution's protocols.",
}
_BANNER_SUICIDE: dict[Language, str] = {
    "fr": "🚨 Risque suicidaire : {suicide} (prévention du suicide, 24 h/24, gratuit) ; danger "
    "immédiat : {calls}. Réponse documentaire ci-dessous.",
    "en": "🚨 Suicide risk: {suicide} (suicide prevention, 24/7, free); immediate danger: "
    "{calls}. Documentation answer below.",
}
_CALLS: dict[Language, tuple[str, str, str]] = {  # in-hospital call; the public numbers; "or"
    "fr": ("appel d'urgence interne {hospital}", "appelez le {emergency} ou le {european}", " ; "),
    "en": ("in-hospital emergency call {hospital}", "call {emergency} or {european}", "; "),
}
_KINDS: dict[Emergency, dict[Language, str]] = {
    Emergency.SUICIDE: {"fr": "risque suicidaire", "en": "suicide risk"},
    Emergency.CARDIAC_ARREST: {"fr": "arrêt cardiaque", "en": "cardiac arrest"},
    Emergency.ANAPHYLAXIS: {"fr": "anaphylaxie", "en": "anaphylaxis"},
    Emergency.OVERDOSE: {"fr": "intoxication", "en": "poisoning or overdose"},
    Emergency.BLEEDING: {"fr": "hémorragie", "en": "major bleeding"},
    Emergency.BREATHING: {"fr": "détresse respiratoire", "en": "breathing difficulty"},
    Emergency.STROKE: {"fr": "AVC", "en": "stroke"},
}

_BUSY: dict[Language, str] = {
    "fr": (
        "Le service est très sollicité en ce moment et n'a pas pu répondre. "
        "Merci de reposer votre question dans une minute."
    ),
    "en": (
        "The service is very busy right now and could not answer. Please ask again in a minute."
    ),
}

_EMPTY: dict[Language, str] = {
    "fr": "La question est vide : écrivez votre question après la mention du bot.",
    "en": "The question is empty: write your question after mentioning the bot.",
}

_TOO_LONG: dict[Language, str] = {
    "fr": "La question est trop longue ({length} caractères, maximum {limit}) : résumez-la.",
    "en": "The question is too long ({length} characters, at most {limit}): please shorten it.",
}

AI_DISCLOSURE: dict[Language, str] = {
    "fr": "MedGPT est un système d'intelligence artificielle : vous n'échangez pas avec une "
    "personne.",
    "en": "MedGPT is an artificial intelligence system: you are not talking to a person.",
}

REDACTED: dict[Language, str] = {
    "fr": "Des identifiants de patient (nom, NIR, téléphone…) ont été retirés de votre question "
    "avant tout traitement : inutile de les saisir ici.",
    "en": "Patient identifiers (name, social security number, phone…) were removed from your "
    "question before any processing: there is no need to type them here.",
}

_DEMO_LABEL: dict[Language, str] = {
    "fr": "contenu de démonstration, non validé pour un usage clinique",
    "en": "demo content, not validated for clinical use",
}

_CITATION = re.compile(r"\[(\d+)\]")


def answered(
    language: Language, text: str, passages: Sequence[Passage], notices: tuple[str, ...] = ()
) -> Reply:
    """A reply whose sources are the passages the text cites, renumbered 1..n in order of use."""
    cited = _cited_numbers(text, len(passages))
    renumber = {old: new for new, old in enumerate(cited, start=1)}
    body = _CITATION.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text)
    sources = tuple(_source(renumber[n], passages[n - 1]) for n in cited)
    return Reply(Outcome.ANSWERED, language, body, DISCLAIMERS[language], sources, notices)


_UNKNOWN: dict[Language, str] = {
    "fr": "Aucune source de la base ne contient {words} : vérifiez l'orthographe.",
    "en": "No source in the corpus contains {words}: check the spelling.",
}
# Every such word a medicine the lexicon knows: spelt right, the corpus lacks it.
_ABSENT: dict[Language, str] = {
    "fr": "Aucune source de la base ne contient {words}.",
    "en": "No source in the corpus contains {words}.",
}
_SUGGESTED: dict[Language, str] = {
    "fr": "Vouliez-vous dire {names} ?",
    "en": "Did you mean {names}?",
}
_MISSING: dict[Language, str] = {
    "fr": "Les sources trouvées ne contiennent pas {words}.",
    "en": "The sources found do not contain {words}.",
}
_QUOTE: dict[Language, str] = {"fr": "« {} »", "en": "“{}”"}
_NOT_ABOUT: dict[Language, tuple[str, str]] = {  # one subject, several
    "fr": (
        "Les sources trouvées ne traitent pas de {subjects}.",
        "Les sources trouvées ne traitent pas ensemble de {subjects}.",
    ),
    "en": (
        "The sources found do not cover {subjects}.",
        "The sources found do not cover {subjects} together.",
    ),
}
_AND: dict[Language, str] = {"fr": " et ", "en": " and "}


def abstained(
    language: Language,
    unknown: Collection[str] = (),
    not_about: Sequence[str] = (),
    missing: Sequence[str] = (),
    suggested: Sequence[str] = (),
    spelt_right: bool = False,
) -> Reply:
    """No answer; `unknown`: the question's words that no source holds, named to the asker
    (a typo, or a medicine the corpus lacks); `not_about`: the subjects it names that the
    passages found do not cover together (a pair of drugs the thesaurus does not list);
    `missing`: its words that the passages found lack and only a few others hold (a medicine
    the corpus lacks, cited by another's opinion); `suggested`: the medicines whose names are
    nearest an unknown word (« Vouliez-vous dire … ? »); `spelt_right`: every unknown word is a
    medicine the lexicon knows, so the asker is not told to check its spelling. A word that could
    be an identifier (digits, a name's or an address's shape) is never quoted back."""
    unknown = [word for word in unknown if quotable(word)]
    not_about = [subject for subject in not_about if quotable(subject)]
    missing = [word for word in missing if quotable(word)]
    text = _ABSTAIN[language]
    if missing:
        words = ", ".join(_QUOTE[language].format(word) for word in missing)
        text = f"{_MISSING[language].format(words=words)} {text}"
    if not_about:
        quoted = [_QUOTE[language].format(subject) for subject in not_about]
        subjects = ", ".join(quoted[:-1]) + _AND[language] + quoted[-1] if quoted[1:] else quoted[0]
        text = f"{_NOT_ABOUT[language][len(quoted) > 1].format(subjects=subjects)} {text}"
    if unknown:
        words = ", ".join(_QUOTE[language].format(word) for word in sorted(unknown))
        if suggested:
            names = ", ".join(_QUOTE[language].format(name) for name in suggested)
            text = f"{_SUGGESTED[language].format(names=names)} {text}"
        said = _ABSENT if spelt_right and not suggested else _UNKNOWN
        text = f"{said[language].format(words=words)} {text}"
    return Reply(Outcome.ABSTAINED, language, text, DISCLAIMERS[language])


_WELCOME: dict[Language, str] = {
    "fr": (
        "Bonjour ! Je réponds aux questions cliniques uniquement à partir des sources validées "
        "de la base (guides de prescription, notices, thésaurus des interactions…), en citant "
        "chaque source. Par exemple : « Quelle est la cible d'INR sous AVK ? ». Une réponse "
        "vous semble fausse ? Réagissez 👎 ou utilisez « Signaler un problème » sous la réponse."
    ),
    "en": (
        "Hello! I answer clinical questions only from the validated sources of the corpus "
        "(prescribing guides, drug leaflets, the interaction thesaurus…), citing each source. "
        "For example: “What is the IM adrenaline dose in adult anaphylaxis?”. An answer looks "
        "wrong? React with 👎 or use “Report a problem” under the answer."
    ),
}


def welcome(language: Language) -> Reply:
    """The reply to a greeting or thanks with no question: what the bot answers from, an
    example, how to report an answer."""
    return Reply(Outcome.ABSTAINED, language, _WELCOME[language], DISCLAIMERS[language])


_UNDERSTOOD: dict[Language, str] = {"fr": "Compris : {}", "en": "Understood: {}"}
_UNDERSTOOD_SEPARATOR: dict[Language, str] = {"fr": " ; ", "en": "; "}


def understood(language: Language, changes: Sequence[tuple[str, str]]) -> str:
    """The one line saying how the question was read: « Compris : Coumadine → warfarine »."""
    read = _UNDERSTOOD_SEPARATOR[language].join(f"{said} → {meant}" for said, meant in changes)
    return _UNDERSTOOD[language].format(read)


def unavailable(language: Language) -> Reply:
    return Reply(Outcome.ERROR, language, _UNAVAILABLE[language], DISCLAIMERS[language])


def emergency(
    language: Language, numbers: EmergencyNumbers, kind: Emergency | None = None
) -> Reply:
    """The fixed reply: no search, no model, the numbers first (the crisis line first for
    suicidal intent)."""
    template = _CRISIS if kind is Emergency.SUICIDE else _EMERGENCY
    text = template[language].format(
        emergency=numbers.emergency, european=numbers.european, suicide=numbers.suicide
    )
    return Reply(Outcome.EMERGENCY, language, text, DISCLAIMERS[language])


def emergency_banner(language: Language, kind: Emergency, numbers: EmergencyNumbers) -> str:
    """The banner that leads a clinician's answer: the in-hospital call where the deployment
    has one, the public numbers; the crisis line first for suicidal intent."""
    hospital, public, separator = _CALLS[language]
    calls = public.format(emergency=numbers.emergency, european=numbers.european)
    if numbers.hospital:
        calls = hospital.format(hospital=numbers.hospital) + separator + calls
    if kind is Emergency.SUICIDE:
        return _BANNER_SUICIDE[language].format(suicide=numbers.suicide, calls=calls)
    return _BANNER[language].format(kind=_KINDS[kind][language], calls=calls)


def busy(language: Language) -> Reply:
    return Reply(Outcome.ERROR, language, _BUSY[language], DISCLAIMERS[language])


def empty_question(language: Language) -> Reply:
    return Reply(Outcome.REJECTED, language, _EMPTY[language], DISCLAIMERS[language])


def question_too_long(language: Language, length: int, limit: int) -> Reply:
    text = _TOO_LONG[language].format(length=length, limit=limit)
    return Reply(Outcome.REJECTED, language, text, DISCLAIMERS[language])


def demo_label(language: Language) -> str:
    return _DEMO_LABEL[language]


def _cited_numbers(text: str, shown: int) -> list[int]:
    """Distinct [n] in order of first use; a number outside 1..shown is a generator bug."""
    numbers = [int(n) for n in _CITATION.findall(text)]
    invalid = [n for n in numbers if not 1 <= n <= shown]
    if invalid:
        raise ValueError(f"citation outside the {shown} shown passages: {invalid}")
    return list(dict.fromkeys(numbers))


def _source(number: int, passage: Passage) -> Source:
    meta = passage.document
    return Source(
        number=number,
        passage_id=passage.passage_id,
        document_id=passage.document_id,
        title=meta.title,
        publisher=meta.publisher,
        published=meta.published,
        section=" › ".join(part for part in passage.section_path if part != meta.title),
        url=meta.url,
        content_hash=passage.content_hash,
        is_demo=meta.is_demo,
        version=meta.version,
        headline=meta.headline,
    )
