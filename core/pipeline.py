"""From a question to a sourced, disclaimed, audited reply. Reads top to bottom in flow order."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

import structlog

from core import compose, triage
from core.errors import EmbedderError, StoreError
from core.evidence import (
    EVERYDAY_CEILING,
    EvidencePolicy,
    Uniform,
    WordWeights,
    gravity,
    is_about,
    names_all,
    passage_keywords,
    supporting,
    unknown_words,
    unmatched_words,
)
from core.grounding import describe, grounded_answer
from core.lexicon import default_lexicon
from core.models import IncomingMessage, Language, Outcome, Passage, Reply, Source, UserId
from core.ports import (
    AuditEntry,
    AuditLog,
    Draft,
    Embedder,
    Generator,
    Observation,
    Observer,
    OnProgress,
    PassageIndex,
    SearchQuery,
    Vocabulary,
)
from core.privacy import Redaction, Redactor, has_placeholders
from core.text import (
    asks_dose,
    content_words,
    fold,
    keywords,
    message_language,
    named_in,
    printable,
    spelt,
    subject_tokens,
    subject_words,
    units_asked,
)
from core.triage import EmergencyNumbers
from core.understand import TERM, Lexicon, Understood, key_of, understand

log = structlog.get_logger(__name__)

# How many passages of the corpus are counted for a word the passages found lack: enough to
# tell none from some.
HELD_PROBED = 5


@dataclass
class AnswerTrace:
    """What the audit records of how a message was answered (its `details`), filled in step
    by step by Pipeline.answer; an empty field is left out of the record."""

    started: float  # time.perf_counter() when the message came in
    emergency: str | None = None  # the kind triage saw
    understood: dict[str, object] | None = None  # how the question was read (_understood)
    unknown_words: list[str] = field(default_factory=list)  # held by no source, rare
    subjects: list[str] = field(default_factory=list)  # the corpus's subjects it names
    retrieved_by: str | None = None  # "subjects": looked up by the subjects it names
    suggested: list[str] = field(default_factory=list)  # « Vouliez-vous dire … ? »
    generation: dict[str, object] = field(default_factory=dict)  # core.grounding's record
    error: str | None = None  # the store or the embedder failed
    answered_too: bool | None = None  # under an emergency banner: answered from sources
    redacted: list[str] = field(default_factory=list)  # the kinds of identifiers removed
    received_id: int | None = None  # the audit entry written when the question came in
    latency: dict[str, int] = field(default_factory=dict)  # ms by stage

    def details(self) -> dict[str, object]:
        named: dict[str, object] = {
            "emergency": self.emergency,
            "understood": self.understood,
            "unknown_words": self.unknown_words,
            "subjects": self.subjects,
            "retrieved_by": self.retrieved_by,
            "suggested": self.suggested,
        }
        after: dict[str, object] = {
            "error": self.error,
            "answered_too": self.answered_too,
            "redacted": self.redacted,
            "received_id": self.received_id,
            "latency": self.latency,
        }
        kept = {key: value for key, value in named.items() if value not in (None, [], {})}
        kept.update(self.generation)
        kept.update({key: value for key, value in after.items() if value not in (None, [], {})})
        return kept


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    k: int = 6
    max_question_chars: int = 4000
    evidence: EvidencePolicy = field(default_factory=EvidencePolicy)
    emergency_numbers: EmergencyNumbers = field(default_factory=EmergencyNumbers)
    # clinicians: an emergency described gets a banner over the sourced answer; public: the
    # fixed reply with the numbers only.
    audience: Literal["clinicians", "public"] = "clinicians"


@dataclass
class Pipeline:
    embedder: Embedder
    index: PassageIndex
    generator: Generator
    audit: AuditLog
    pseudonymize: Callable[[UserId], str]
    settings: PipelineSettings = field(default_factory=PipelineSettings)
    # Answers when the generator fails or its draft does not survive the citation check.
    fallback: Generator | None = None
    # Removes patient identifiers before anything else sees the question (patterns by default).
    redactor: Redactor = field(default_factory=Redactor)
    # Abbreviations, drug names and chatter (core/lexicon: the files shipped with the package).
    lexicon: Lexicon = field(default_factory=default_lexicon)
    audit_failures: int = field(default=0, init=False)  # counted, and logged as errors
    observer: Observer | None = None  # metrics
    # How common words are in everyday language, to weigh the question's words (core.evidence).
    vocabulary: Vocabulary = field(default_factory=Uniform)

    async def answer(
        self, message: IncomingMessage, on_progress: OnProgress | None = None
    ) -> Reply:
        """The reply to a message; `on_progress` hears how the answer is coming along."""
        started = time.perf_counter()
        failures_before = self.audit_failures
        language = _language(message)
        # Control characters (a NUL) are dropped first: the audit must store what was asked.
        redaction = await self.redactor.redact(printable(message.text), language)
        question = redaction.text.strip()  # from here on, no identifier of the patient
        # The audit keeps a bounded prefix of an over-long paste, not 100 KB.
        kept = question[: self.settings.max_question_chars]
        trace = AnswerTrace(started, redacted=list(redaction.kinds))
        # Written first, so a question is on record even if the process dies before answering.
        trace.received_id = await self._record(self._entry(message, kept, language))
        reply, draft = await self._reply(message, question, language, trace, on_progress)
        reply = replace(reply, notices=(*_notices(message, redaction, language), *reply.notices))
        latency_ms = _ms_since(started)
        audit_id = await self._audit(message, kept, reply, draft, latency_ms, trace.details())
        self._observe(message, reply, latency_ms, trace, self.audit_failures - failures_before)
        log.info("answer_done", outcome=reply.outcome, sources=len(reply.sources), ms=latency_ms)
        return replace(reply, audit_id=audit_id, asked=kept)

    async def _reply(
        self,
        message: IncomingMessage,
        question: str,
        language: Language,
        trace: AnswerTrace,
        on_progress: OnProgress | None,
    ) -> tuple[Reply, Draft | None]:
        """Triage first, before and independent of retrieval and any model; then what the
        message asks, answered from the sources or not at all; an emergency's banner on top."""
        emergency, banner, asked = self._triage(question, language, trace)
        if emergency is not None and not banner:
            numbers = self.settings.emergency_numbers
            return compose.emergency(language, numbers, emergency.kind), None
        draft = None
        if not question:
            reply = compose.empty_question(language)
        elif len(question) > (limit := self.settings.max_question_chars):
            reply = compose.question_too_long(language, len(question), limit)
        else:
            # Under a banner, the answer comes whole: nothing may show before the banner.
            progress = None if banner else on_progress
            reply, draft = await self._asked(message, asked, language, trace, progress)
            if banner and emergency and emergency.question and reply.outcome is Outcome.ABSTAINED:
                # What the message asks, read with its narrative: the narrative may name what the
                # question is about ("lady on digoxin who's muddled, when do I take the level?").
                reply, draft = await self._asked(message, question, language, trace, progress)
        if banner:
            trace.answered_too = reply.outcome is Outcome.ANSWERED
            reply = replace(reply, banner=banner)
        return reply, draft

    async def _asked(
        self,
        message: IncomingMessage,
        asked: str,
        language: Language,
        trace: AnswerTrace,
        on_progress: OnProgress | None,
    ) -> tuple[Reply, Draft | None]:
        """A welcome when nothing is asked; else the sourced answer, saying how the message
        was read; an apology when the store or the embedder fails."""
        own = understand(asked, language, self.lexicon)
        if _nothing_asked(own):
            trace.understood = _understood(own)
            return compose.welcome(language), None  # "bonjour à tous", "merci !"
        try:
            reply, draft = await self._sourced(message, asked, language, trace, on_progress)
        except (StoreError, EmbedderError) as exc:
            log.error("answer_failed", error=type(exc).__name__, reason=str(exc))
            trace.error = describe(exc)
            return compose.unavailable(language), None
        if own.changes:  # « Compris : Coumadine → warfarine »: this message's own
            reply = replace(
                reply, notices=(*reply.notices, compose.understood(language, own.changes))
            )
        return reply, draft

    async def _sourced(
        self,
        message: IncomingMessage,
        asked: str,
        language: Language,
        trace: AnswerTrace,
        on_progress: OnProgress | None,
    ) -> tuple[Reply, Draft | None]:
        """Understand, retrieve, weigh the evidence; then generate and check, or abstain."""
        policy = self.settings.evidence
        # A follow-up ("et chez l'enfant ?") is read with the question it follows.
        written = _in_context(asked, message)
        understood = understand(written, language, self.lexicon)
        trace.understood = _understood(understood)
        medicines = medicines_of(understood, self.lexicon)
        found = await self._retrieve(understood.text, language, medicines)
        passages, named = found.passages, found.named
        trace.latency["retrieve_ms"] = _ms_since(trace.started)
        # The evidence checks read each expanded word as the passages found spell it.
        held = set().union(*map(passage_keywords, passages))
        query = understood.checked(held)
        # A follow-up's own words, as the same checks read them: what it asks must be held too.
        own = understand(asked, language, self.lexicon).checked(held) if message.history else ""
        weights = replace(
            await self.weights(query, passages, language),
            medicines=understood.medicines(self.lexicon),
            terms=understood.ways(self.lexicon, but={TERM}),
            translations=understood.ways(self.lexicon, {TERM}),
            populations=self.lexicon.populations_named(query),
            units=units_asked(asked, self.lexicon.units),
            followup=frozenset(keywords(own)),
            dose=asks_dose(asked),
        )
        unknown = unknown_words(query, weights, policy, keywords(written))
        trace.unknown_words = unknown
        trace.subjects = sorted(filter(None, (spelt(query, subject) for subject in named)))
        trace.retrieved_by = "subjects" if found.by_subjects else None
        # A misspelt medicine: the names nearest to it (« Vouliez-vous dire … ? »).
        suggestions = (name for word in unknown for name in self.lexicon.suggest(word))
        suggested = list(dict.fromkeys(suggestions))[:3]
        evidence = supporting(query, passages, policy, weights, named, pair=found.pair)
        if suggested and not weights.medicines:
            # A question whose only medicine is misspelt beyond what understanding forgives
            # ("dose de Kardejik chez l'adulte ?") is answered only from passages naming one of
            # the medicines nearest to it, not from the doses of others that hold its other
            # words; else the asker gets those names. (A question naming a medicine understood
            # keeps its chance: "mycose" near MYCOSTER is no misspelt drug.)
            nearest = _ways_of(suggested, self.lexicon)
            evidence = [p for p in evidence if names_all(passage_keywords(p), (nearest,))]
        if not evidence:
            apart = _not_about(query, passages, named)
            missing = _missing(query, passages, policy, weights, named) or _population(
                query, passages, policy, weights, named, found.pair
            )
            trace.suggested = suggested  # audited with the abstention it explains
            # "Baqsimi" is a medicine spelt right that the corpus lacks, not a typo.
            known = bool(unknown) and all(self.lexicon.exact(key_of(w)) for w in unknown)
            reply = compose.abstained(
                language, unknown, apart, missing, trace.suggested, spelt_right=known
            )
            return reply, None
        in_context = understood.glossed(written)
        grounded = await grounded_answer(
            self.generator, self.fallback, in_context, language, evidence, on_progress
        )
        trace.generation = grounded.details
        trace.latency["generate_ms"] = _ms_since(trace.started) - trace.latency["retrieve_ms"]
        return grounded.reply, grounded.draft

    def _observe(
        self,
        message: IncomingMessage,
        reply: Reply,
        latency_ms: int,
        trace: AnswerTrace,
        audit_failures: int,
    ) -> None:
        if self.observer is None:
            return
        error = trace.details().get("error")
        kind = str(error).split(":", 1)[0] if error is not None else None
        self.observer.observe(
            Observation(
                message.platform, reply.outcome, latency_ms, trace.latency, kind, audit_failures
            )
        )

    def _triage(
        self, question: str, language: Language, trace: AnswerTrace
    ) -> tuple[triage.Triage | None, str, str]:
        """(the emergency described, the banner over the answer, what to search). No banner:
        the fixed reply (public deployments; a writer's suicidal crisis)."""
        emergency = triage.assess(question)
        if emergency is None:
            return None, "", question
        trace.emergency = emergency.kind.value
        if self.settings.audience == "public" or emergency.in_crisis:
            return emergency, "", question
        numbers = self.settings.emergency_numbers
        banner = compose.emergency_banner(language, emergency.kind, numbers)
        return emergency, banner, emergency.query(language)

    async def _retrieve(
        self, query: str, language: Language, medicines: Sequence[frozenset[frozenset[str]]] = ()
    ) -> Found:
        [embedding] = await self.embedder.embed([query])
        search = SearchQuery(query, embedding, language, self.settings.k)
        found = await retrieve(self.index, search, self.settings.evidence, medicines)
        log.info(
            "retrieval_done",
            k=self.settings.k,
            found=len(found.passages),
            by_subjects=found.by_subjects,
        )
        return found

    async def weights(
        self, query: str, passages: Sequence[Passage], language: Language
    ) -> WordWeights:
        """What the question's words weigh: how common each is in everyday language, and how
        many passages of the corpus hold those that the passages found lack."""
        spelt = content_words(query)
        everyday = await self.vocabulary.everyday({fold(w) for w in spelt.values()}, language)
        lacking = unmatched_words(query, passages)
        counted = await self.index.scarce_words(list(lacking.values()), language, HELD_PROBED, 1.0)
        return WordWeights(
            everyday={key: everyday.get(fold(word), 0.0) for key, word in spelt.items()},
            held={key: counted.get(word, HELD_PROBED + 1) for key, word in lacking.items()},
        )

    async def _audit(
        self,
        message: IncomingMessage,
        question: str,
        reply: Reply,
        draft: Draft | None,
        latency_ms: int,
        details: dict[str, object],
    ) -> int | None:
        entry = replace(
            self._entry(message, question, reply.language),
            event=_EVENTS[reply.outcome],
            outcome=reply.outcome,
            latency_ms=latency_ms,
            reply_text=reply.text,
            disclaimer_version=reply.disclaimer.version,
            generator=draft.generator if draft else None,
            passage_ids=tuple(s.passage_id for s in reply.sources),
            document_hashes=tuple(s.content_hash for s in reply.sources),
            details={**details, "documents": [_document(s) for s in reply.sources]},
        )
        return await self._record(entry)

    def _entry(self, message: IncomingMessage, question: str, language: Language) -> AuditEntry:
        return AuditEntry(
            occurred_at=datetime.now(UTC),
            event="question_received",
            platform=message.platform,
            conversation_id=message.conversation_id,
            user_pseudonym=self.pseudonymize(message.user_id),
            language=language,
            question=question,
            outcome=Outcome.RECEIVED,
            latency_ms=0,
        )

    async def _record(self, entry: AuditEntry) -> int | None:
        try:
            return await self.audit.record(entry)
        except Exception as exc:  # a lost audit entry is loud, but the clinician still gets a reply
            self.audit_failures += 1
            log.error(
                "audit_write_failed",
                error=type(exc).__name__,
                reason=str(exc),
                failures=self.audit_failures,
            )
            return None


def _document(source: Source) -> dict[str, object]:
    return {"id": source.document_id, "version": source.version, "hash": source.content_hash}


_EVENTS = {
    Outcome.ANSWERED: "answer_sent",
    Outcome.EMERGENCY: "emergency",
    Outcome.ABSTAINED: "abstained",
    Outcome.REJECTED: "refused",
    Outcome.ERROR: "error",
}


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _notices(message: IncomingMessage, redaction: Redaction, language: Language) -> list[str]:
    """Told once per conversation: that it is an AI system, that identifiers were removed."""
    notices = [] if message.history else [compose.AI_DISCLOSURE[language]]
    earlier = [turn.question for turn in message.history]
    if redaction.kinds and not has_placeholders(earlier):
        notices.append(compose.REDACTED[language])
    return notices


def _not_about(
    query: str, passages: Sequence[Passage], named: Sequence[frozenset[str]]
) -> list[str]:
    """The subjects the question names, as it spells them, when the passages found declare
    subjects but none is about all of them together (a pair the thesaurus does not list)."""
    declaring = [p for p in passages if p.document.subjects]
    if not named or not declaring or any(is_about(p, named) for p in declaring):
        return []
    # A subject named only through an understood word (a brand read as its substance) is not
    # spelt in the question as the asker wrote it: it is not quoted back.
    spelling = [words for subject in named if (words := spelt(query, subject))]
    return sorted(spelling, key=lambda subject: fold(query).find(fold(subject).split()[0]))


def _missing(
    query: str,
    passages: Sequence[Passage],
    policy: EvidencePolicy,
    weights: WordWeights,
    named: Sequence[frozenset[str]],
) -> list[str]:
    """The question's rare words (core.evidence) that other passages of the corpus hold but
    the passages found lack, in its order, when they alone kept those passages from answering
    (a medicine the corpus lacks, cited by another's opinion)."""
    lacking = unmatched_words(query, passages)
    missing = {
        key: word
        for key, word in lacking.items()
        if weights.rare(key, policy) and weights.elsewhere(key)
    }
    if not missing:
        return []
    everyday = {**weights.everyday, **dict.fromkeys(missing, EVERYDAY_CEILING)}
    ordinary = replace(weights.without(missing), everyday=everyday)
    if not supporting(query, passages, policy, ordinary, named):
        return []
    return sorted(missing.values(), key=lambda word: fold(query).find(fold(word)))


def _population(
    query: str,
    passages: Sequence[Passage],
    policy: EvidencePolicy,
    weights: WordWeights,
    named: Sequence[frozenset[str]],
    pair: bool,
) -> list[str]:
    """The question's words naming a population (core/lexicon/populations.txt), as it spells
    them, when that population alone kept the passages found from answering ("amoxicilline
    pendant l'allaitement": the notes found speak of no breastfeeding)."""
    if not weights.populations:
        return []
    if not supporting(query, passages, policy, replace(weights, populations=()), named, pair):
        return []
    keys = {key for ways in weights.populations for way in ways for key in way}
    return [word for key, word in content_words(query).items() if any(map(key.startswith, keys))]


def _ways_of(names: Sequence[str], lexicon: Lexicon) -> tuple[frozenset[str], ...]:
    """The ways a passage may name any of these medicines: each name, and what the lexicon
    says it is (a brand's substances)."""
    spelt = [*names]
    for name in names:
        spelt += [sense.meaning for entry in lexicon.exact(key_of(name)) for sense in entry.senses]
    return tuple(way for way in dict.fromkeys(frozenset(keywords(n)) for n in spelt) if way)


def _nothing_asked(asked: Understood) -> bool:
    """A greeting, thanks, or no word at all; not a bare follow-up ("et après ?")."""
    return not asked.asks and (bool(asked.dropped) or not asked.terms)


def _understood(understood: Understood) -> dict[str, object]:
    """What the audit keeps of how the question was read."""
    kept: dict[str, object] = {"query": understood.text}
    if understood.changes:
        kept["changes"] = [list(change) for change in understood.changes]
    if understood.dropped:
        kept["dropped"] = list(understood.dropped)
    return kept


def _in_context(question: str, message: IncomingMessage) -> str:
    return f"{message.history[-1].question} {question}" if message.history else question


def _language(message: IncomingMessage) -> Language:
    earlier = [turn.question for turn in message.history]
    return message.language or message_language(message.text, earlier)


@dataclass(frozen=True, slots=True)
class Found:
    """What retrieval found for a question."""

    passages: list[Passage]
    named: list[frozenset[str]]  # the corpus's subjects the question names
    by_subjects: bool = False  # the passages were looked up by those subjects (retrieve)
    pair: bool = False  # the subjects name two medicines or more (medicines_named)


async def retrieve(
    index: PassageIndex,
    search: SearchQuery,
    policy: EvidencePolicy,
    medicines: Sequence[frozenset[frozenset[str]]] = (),
) -> Found:
    """The search's passages, and the subjects the question names. Where no passage found is
    about all of them, the evidence check would drop every one, though the corpus may state
    them further down the ranking ("Peut-on associer X et Y ?" where other pairs of X or Y rank
    first; "Quelles interactions avec le périndopril ?" where the pairs that list it among a
    class's members rank below others): then the passages of the documents about all of them,
    nearest first. For one subject, only if those passages hold every word of the question
    (`policy`'s length): "CASPOFUNGINE HIKMA", a generic the corpus lacks, names caspofungine,
    but its originator's opinion does not answer it (docs/quality.md).
    `medicines`: the subjects that name one medicine together (a brand, its substances, their
    classes: medicines_of()); a document about one of them is about that medicine ("Xarelto et
    Rifadine" is the thesaurus's rivaroxaban + rifampicine; "Téralithe et Advil" its lithium +
    anti-inflammatoires non stéroïdiens)."""
    passages = await index.search(search)
    named = await named_subjects(index, search.text, passages)
    # For two medicines or more (a pair), only a document that declares its subjects counts: a
    # note on one of them, declaring none, does not say what the pair does.
    pair = medicines_named(named, medicines) >= 2
    declaring = [p for p in passages if p.document.subjects] if pair else passages
    if not named or any(is_about(p, named) for p in declaring):
        return Found(passages, named, pair=pair)
    # Of the readings that some passage is about, the one whose interaction is gravest (the
    # first of them on a tie): "Novatrex et Bactrim" reads as méthotrexate + triméthoprime, a
    # contraindication, before méthotrexate + sulfaméthoxazole, a precaution.
    choices = one_per_medicine(named, medicines)
    declared = [p for p in passages if p.document.subjects]
    held = [
        (choice, about)
        for choice in choices[1:]
        if (about := [p for p in declared if is_about(p, choice)])
    ]
    if held:
        choice, _ = min(held, key=lambda reading: min(map(gravity, reading[1])))
        return Found(passages, choice, pair=pair)
    looked: list[tuple[list[frozenset[str]], list[Passage]]] = []
    for choice in choices:
        about = await index.about(choice, search)
        if about and (len(choice) >= 2 or not unmatched_words(search.text, about)):
            if choice is choices[0] or not pair:
                return Found(about, choice, by_subjects=True, pair=pair)
            looked.append((choice, about))
    if looked:
        choice, about = min(looked, key=lambda reading: min(map(gravity, reading[1])))
        return Found(about, choice, by_subjects=True, pair=pair)
    return Found(passages, named, pair=pair)


MAX_CHOICES = 8  # the readings of a question's medicines tried, at most


def one_per_medicine(
    named: Sequence[frozenset[str]], medicines: Sequence[frozenset[frozenset[str]]]
) -> list[list[frozenset[str]]]:
    """The subjects named, as they are; then the readings that name each medicine named once,
    by one of its subjects (the named ones first, then its substances and classes), the
    subjects of no medicine unchanged, two subjects or more (at most MAX_CHOICES)."""
    readings = [list(named)]
    groups, alone = _by_medicine(named, medicines)
    if not groups:
        return readings
    options = [
        sorted(medicine, key=lambda subject: (subject not in named, sorted(subject)))
        for medicine in groups
    ]
    for picked in itertools.islice(itertools.product(*options), 4 * MAX_CHOICES):
        reading = [*alone, *dict.fromkeys(picked)]
        # Only pairs: one subject alone is the case the caller's unmatched-word check guards.
        if len(reading) >= 2 and reading not in readings:
            readings.append(reading)
        if len(readings) > MAX_CHOICES:
            break
    return readings


def medicines_named(
    named: Sequence[frozenset[str]], medicines: Sequence[frozenset[frozenset[str]]]
) -> int:
    """How many medicines the named subjects are: those that name one medicine (Téralithe and
    lithium; warfarine and fluindione, members of the AVK named) count once."""
    groups, alone = _by_medicine(named, medicines)
    return len(alone) + len(set(groups))


def _by_medicine(
    named: Sequence[frozenset[str]], medicines: Sequence[frozenset[frozenset[str]]]
) -> tuple[list[frozenset[frozenset[str]]], list[frozenset[str]]]:
    """The medicines some named subject names, and the named subjects of no medicine."""
    groups = [medicine for medicine in medicines if medicine & set(named)]
    alone = [subject for subject in named if not any(subject in m for m in groups)]
    return groups, alone


def medicines_of(understood: Understood, lexicon: Lexicon) -> list[frozenset[frozenset[str]]]:
    """For each medicine the question names, the subjects that may name it in the corpus, as
    subject_words: a brand, a substance or a clipped form as written, each of its substances
    ("Bactrim": triméthoprime, sulfaméthoxazole) and the classes the thesaurus lists them in
    ("Advil": ibuprofène, anti-inflammatoires non stéroïdiens); a class as written and its
    members ("AVK": warfarine, fluindione, acénocoumarol)."""
    found = []
    for term in understood.terms:
        if term.kind == "class":  # the class, and its members as the question reads them
            names = [term.written, *term.meanings]
            found.append(frozenset(subject_words(name) for name in names))
            continue
        if term.kind not in ("brand", "substance", "clipped"):
            continue
        substances = [s for m in term.meanings for s in m.split(" + ")] or [term.written]
        classes = [c for s in substances for c in lexicon.classes_of(s)]
        names = [term.written, *substances, *classes]
        found.append(frozenset(subject_words(name) for name in names))
    return found


async def named_subjects(
    index: PassageIndex, question: str, passages: Sequence[Passage]
) -> list[frozenset[str]]:
    """The corpus's subjects that the question names (core.text.named_in; none looked up when
    no passage found declares any: then none is held to them)."""
    if not any(p.document.subjects for p in passages):
        return []
    tokens = subject_tokens(question)
    candidates = await index.named_subjects(set(tokens))
    return [frozenset(subject) for subject in named_in(tokens, candidates)]
