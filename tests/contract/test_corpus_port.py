"""Contract tests of the corpus store: the index the pipeline searches (core.ports.PassageIndex)
and the writer ingestion fills (core.ports.CorpusWriter), one test body run against the
in-memory fake (testkit.fakes.FakeIndex) and the Postgres store (PgCorpus).

The embeddings are written by hand, four coordinates each, so that both stores are given the
same vectors and the nearest passage is known without a model."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Literal, Protocol

import asyncpg
import pytest

from adapters.postgres.store import PgCorpus
from core.documents import Chunk, ParsedDocument, Section
from core.models import DocumentMeta, Language, Passage
from core.ports import CorpusWriter, EmbedderIdentity, PassageIndex, SearchQuery
from testkit.fakes import FakeIndex

pytestmark = pytest.mark.integration

IDENTITY = EmbedderIdentity("contract-vectors", 4)
Vector = tuple[float, float, float, float]
NEAR: Vector = (1.0, 0.0, 0.0, 0.0)  # every query below is embedded here
CLOSE: Vector = (0.8, 0.6, 0.0, 0.0)  # cosine 0.8 to NEAR
AWAY: Vector = (0.2, 0.0, math.sqrt(0.96), 0.0)  # cosine 0.2
FAR: Vector = (-1.0, 0.0, 0.0, 0.0)  # cosine -1


class Corpus(PassageIndex, CorpusWriter, Protocol):
    """What both stores are: searched by the pipeline, written by ingestion."""


@pytest.fixture
async def pg_corpus(pool: asyncpg.Pool) -> PgCorpus:
    corpus = PgCorpus(pool, IDENTITY)
    await corpus.ensure_index()
    return corpus


@pytest.fixture(params=["fake", "postgres"])
def store(request: pytest.FixtureRequest) -> Corpus:
    """The corpus: FakeIndex, then PgCorpus on a fresh database."""
    if request.param == "fake":
        return FakeIndex()
    corpus: PgCorpus = request.getfixturevalue("pg_corpus")
    return corpus


def meta(
    title: str = "Paracétamol",
    language: Language | None = "fr",
    publisher: str = "HAS",
    subjects: tuple[str, ...] = (),
    sides: tuple[int, ...] = (),
) -> DocumentMeta:
    return DocumentMeta(
        title=title,
        publisher=publisher,
        url=f"https://example.org/{title.lower()}",
        language=language,
        published=date(2024, 1, 15),
        licence="Licence Ouverte 2.0",
        subjects=subjects,
        subject_sides=sides,
    )


async def put(
    store: Corpus,
    key: str,
    passages: Sequence[tuple[str, Vector]],
    document: DocumentMeta | None = None,
    content_hash: str = "h1",
) -> None:
    """Write one document with these passages (each in a section of its own, which does not
    repeat the document's title) and embeddings."""
    document = document or meta()
    chunks = [Chunk(i, ("Posologie", f"Section {i}"), text) for i, (text, _) in enumerate(passages)]
    sections = tuple(Section(c.section_path, (c.text,)) for c in chunks)
    await store.replace_document(
        ParsedDocument(key, document, sections, content_hash),
        chunks,
        [list(vector) for _, vector in passages],
    )


def query(
    text: str,
    k: int = 10,
    mode: Literal["hybrid", "vector", "text"] = "hybrid",
    languages: tuple[Language, ...] | None = None,
    publishers: tuple[str, ...] | None = None,
    text_weight: float | None = None,
) -> SearchQuery:
    return SearchQuery(
        text, NEAR, "fr", k, languages, publishers, mode=mode, text_weight=text_weight
    )


def texts(passages: Sequence[Passage]) -> list[str]:
    return [p.text for p in passages]


async def test_a_found_passage_carries_its_document_as_imported(store: Corpus) -> None:
    """The source line under an answer shows the title, publisher, date, licence and link the
    document was imported with, and the section the passage comes from."""
    document = meta(subjects=("paracétamol",))
    await put(
        store,
        "notes/paracetamol.md",
        [("La dose maximale est de 4 g par jour.", NEAR)],
        document,
        "h7",
    )
    [found] = await store.search(query("dose maximale de paracétamol"))
    assert found.document == document
    assert (found.text, found.section_path) == (
        "La dose maximale est de 4 g par jour.",
        ("Posologie", "Section 0"),
    )
    assert found.content_hash == "h7"
    assert found.similarity == pytest.approx(1.0, abs=1e-6)


async def test_a_reimported_document_replaces_all_its_passages(store: Corpus) -> None:
    """After a corrected note is imported again, no answer quotes its earlier version."""
    key = "notes/paracetamol.md"
    await put(
        store,
        key,
        [("Ancienne dose : 6 g.", NEAR), ("Ancien surdosage.", CLOSE)],
        content_hash="h1",
    )
    await put(store, key, [("Dose maximale : 4 g par jour.", NEAR)], content_hash="h2")
    assert texts(await store.search(query("dose"))) == ["Dose maximale : 4 g par jour."]
    assert await store.known_hashes([key, "notes/absent.md"]) == {key: "h2"}


async def test_retired_documents_are_never_found_until_a_release_brings_them_back(
    store: Corpus,
) -> None:
    """A medicine withdrawn from the official release is no longer quoted, named or listed;
    a later release that holds it again makes it live again."""
    warfarin = meta("Warfarine", subjects=("warfarine",))
    await put(store, "bdpm#1", [("La warfarine est un anticoagulant oral.", NEAR)], warfarin)
    await put(store, "bdpm#2", [("Le paracétamol est un antalgique.", CLOSE)])
    await store.retire_documents(["bdpm#1", "bdpm#404"])
    assert texts(await store.search(query("warfarine anticoagulant"))) == [
        "Le paracétamol est un antalgique."
    ]
    assert await store.known_hashes(["bdpm#1", "bdpm#2"]) == {"bdpm#2": "h1"}
    assert await store.source_keys_under(["bdpm#"]) == ["bdpm#2"]
    assert await store.named_subjects({"warfarine"}) == []
    assert await store.about([frozenset({"warfarine"})], query("warfarine")) == []
    await put(store, "bdpm#1", [("La warfarine est un anticoagulant oral.", NEAR)], warfarin)
    assert "La warfarine est un anticoagulant oral." in texts(
        await store.search(query("warfarine"))
    )
    assert await store.named_subjects({"warfarine"}) == [("warfarine",)]


async def test_deleted_documents_are_gone(store: Corpus) -> None:
    """A note removed from the notes folder is no longer quoted after the next import; deleting
    what is not there is harmless."""
    await put(store, "notes/a.md", [("La colchicine se donne à faible dose.", NEAR)])
    await put(store, "notes/b.md", [("Le paracétamol est un antalgique.", CLOSE)])
    await store.delete_documents(["notes/a.md", "notes/never.md"])
    assert texts(await store.search(query("colchicine"))) == ["Le paracétamol est un antalgique."]
    assert await store.source_keys_under(["notes/"]) == ["notes/b.md"]
    assert await store.known_hashes(["notes/a.md"]) == {}


async def test_source_keys_under_read_their_prefixes_literally(store: Corpus) -> None:
    """Pruning the folder `notes/a_b/` never deletes the notes of `notes/axb/` (an underscore
    or a percent sign in a folder's name is that character, not a wildcard)."""
    keys = ["notes/a_b/x.md", "notes/axb/y.md", "notes/100%/z.md", "other/w.md"]
    for key in keys:
        await put(store, key, [("Texte.", NEAR)])
    assert await store.source_keys_under(["notes/a_b/"]) == ["notes/a_b/x.md"]
    assert await store.source_keys_under(["notes/100%/"]) == ["notes/100%/z.md"]
    assert sorted(await store.source_keys_under(["notes/", "other/"])) == sorted(keys)


async def test_search_keeps_to_the_languages_and_publishers_asked(store: Corpus) -> None:
    """An evaluation restricted to English or to one publisher is answered from those documents
    only; a document imported without a language counts as French."""
    await put(store, "fr", [("Dose chez l'adulte.", NEAR)], meta("Note FR"))
    await put(store, "en", [("Adult dose.", NEAR)], meta("Note EN", "en", "NICE"))
    await put(store, "none", [("Dose usuelle.", CLOSE)], meta("Note", None, "ANSM"))
    french = await store.search(query("dose", languages=("fr",)))
    assert sorted(texts(french)) == ["Dose chez l'adulte.", "Dose usuelle."]
    assert texts(await store.search(query("dose", publishers=("NICE",)))) == ["Adult dose."]
    assert await store.search(query("dose", languages=("en",), publishers=("HAS",))) == []


async def test_search_returns_at_most_k_passages(store: Corpus) -> None:
    """The model is shown at most k passages, however many the corpus holds."""
    await put(store, "notes/a.md", [(f"Passage {i} sur la dose.", CLOSE) for i in range(5)])
    assert len(await store.search(query("dose", k=3))) == 3
    assert len(await store.search(query("dose", k=10))) == 5


async def test_the_vector_arm_ranks_the_nearest_embeddings_first(store: Corpus) -> None:
    """A question finds the passages nearest in meaning first, even sharing no word with them;
    each carries its cosine similarity, which the evidence check compares to its thresholds."""
    await put(
        store,
        "notes/a.md",
        [("Loin.", FAR), ("Proche.", CLOSE), ("Écarté.", AWAY), ("Juste.", NEAR)],
    )
    found = await store.search(query("question sans mot commun", mode="vector"))
    assert texts(found) == ["Juste.", "Proche.", "Écarté.", "Loin."]
    assert [p.similarity for p in found] == pytest.approx([1.0, 0.8, 0.2, -1.0], abs=1e-6)
    assert all(p.text_rank == 0.0 for p in found)


# A question and passages holding all, some, one or none of its words, accents aside.
QUESTION = "surdosage en warfarine et INR élevé"
ALL_WORDS = "En cas de surdosage en warfarine avec un INR élevé, donner de la vitamine K."
TWO_WORDS = "La warfarine impose une surveillance de l'INR."
ONE_WORD = "La warfarine est un anticoagulant oral."
NO_WORD = "La vitamine K est un antidote."


async def test_the_text_arm_finds_the_passages_holding_the_questions_words(
    store: Corpus,
) -> None:
    """A question finds by its words (accents aside) the passages that hold at least two of
    them, those holding more first; a passage sharing one word or none is not found so."""
    await put(
        store, "notes/a.md", [(NO_WORD, NEAR), (ONE_WORD, NEAR), (TWO_WORDS, FAR), (ALL_WORDS, FAR)]
    )
    found = await store.search(query("surdosage warfarine inr eleve", mode="text"))
    assert texts(found) == [ALL_WORDS, TWO_WORDS]
    assert all(p.text_rank > 0 for p in found)


async def test_hybrid_search_fuses_the_arms(store: Corpus) -> None:
    """A passage that both arms rank first comes first; one far in embedding but holding the
    question's words is lifted above a near one that holds none; with the words' weight at 0
    (an evaluation setting) the order is the embeddings' alone."""
    await put(
        store,
        "notes/a.md",
        [(ALL_WORDS, NEAR), (NO_WORD, CLOSE), (TWO_WORDS, AWAY), ("Le lavage des mains.", FAR)],
    )
    fused = await store.search(query(QUESTION))
    assert texts(fused) == [ALL_WORDS, TWO_WORDS, NO_WORD, "Le lavage des mains."]
    assert fused[0].score > fused[1].score > fused[2].score > fused[3].score > 0
    by_embedding = await store.search(query(QUESTION, text_weight=0.0))
    assert texts(by_embedding) == [ALL_WORDS, NO_WORD, TWO_WORDS, "Le lavage des mains."]


async def test_named_subjects_are_the_declared_subjects_a_question_names_whole(
    store: Corpus,
) -> None:
    """A question naming "vitamine A" is held to documents about vitamin A; one saying only
    "vitamine" names no subject, and a subject nobody declared is not one."""
    await put(store, "a", [("Vitamine A.", NEAR)], meta("A", subjects=("Vitamine A", "Rétinol")))
    await put(store, "d", [("Vitamine D.", NEAR)], meta("D", subjects=("vitamine D",)))
    await put(store, "n", [("Note sans sujet.", NEAR)], meta("N"))
    named = await store.named_subjects({"dose", "vitamine", "a", "retinol", "warfarine"})
    assert sorted(named) == [("retinol",), ("vitamine", "a")]
    assert await store.named_subjects({"vitamine"}) == []
    assert await store.named_subjects(set()) == []


async def test_about_gives_the_passages_of_documents_about_every_subject_nearest_first(
    store: Corpus,
) -> None:
    """A question naming a drug the search missed is answered from the documents about that
    drug, nearest first; naming two, from documents about both (an interaction: one on each
    side); never from a document that declares no subject."""
    interaction = meta(
        "Amiodarone + fluconazole", subjects=("amiodarone", "fluconazole"), sides=(1, 2)
    )
    statins = meta(
        "Statines + clarithromycine",
        subjects=("simvastatine", "atorvastatine", "clarithromycine"),
        sides=(1, 1, 2),
    )
    await put(
        store, "i", [("Interaction loin.", AWAY), ("Interaction proche.", CLOSE)], interaction
    )
    await put(
        store, "m", [("Amiodarone seule.", NEAR)], meta("Amiodarone", subjects=("amiodarone",))
    )
    await put(store, "s", [("Statines.", NEAR)], statins)
    await put(store, "n", [("Note sans sujet sur l'amiodarone.", NEAR)], meta("Note"))
    amiodarone = frozenset({"amiodarone"})
    assert texts(await store.about([amiodarone], query("amiodarone"))) == [
        "Amiodarone seule.",
        "Interaction proche.",
        "Interaction loin.",
    ]
    assert texts(await store.about([amiodarone], query("amiodarone", k=1))) == ["Amiodarone seule."]
    both = [amiodarone, frozenset({"fluconazole"})]
    assert texts(await store.about(both, query("amiodarone fluconazole"))) == [
        "Interaction proche.",
        "Interaction loin.",
    ]
    same_side = [frozenset({"simvastatine"}), frozenset({"atorvastatine"})]
    assert await store.about(same_side, query("simvastatine atorvastatine")) == []
    sides = [frozenset({"simvastatine"}), frozenset({"clarithromycine"})]
    assert texts(await store.about(sides, query("simvastatine clarithromycine"))) == ["Statines."]
    assert await store.about([amiodarone], query("amiodarone", languages=("en",))) == []
    assert await store.about([], query("amiodarone")) == []


async def test_scarce_words_counts_the_passages_holding_each_word(store: Corpus) -> None:
    """A question's word that no passage holds is said to be unknown to the corpus (the reply
    says so rather than answer beside it); a word counts where a passage holds it, or a longer
    word it starts, in its sections or text (not the title); common words are left out."""
    document = meta("Fiche Doliprane")
    await put(
        store,
        "a",
        [
            ("Le paracétamol est hépatotoxique.", NEAR),
            ("Le paracétamol est un antalgique.", NEAR),
            ("La warfarine est un anticoagulant.", NEAR),
        ],
        document,
    )
    words = ["paracétamol", "warfarine", "hépato", "digoxine", "doliprane", "le"]
    assert await store.scarce_words(words, "fr", 5, 1.0) == {
        "paracétamol": 2,
        "warfarine": 1,
        "hépato": 1,
        "digoxine": 0,
        "doliprane": 0,
    }
    assert await store.scarce_words(words, "fr", 1, 1.0) == {
        "warfarine": 1,
        "hépato": 1,
        "digoxine": 0,
        "doliprane": 0,
    }
    # At most a share of the corpus: 0.3 of 3 passages is none.
    assert await store.scarce_words(words, "fr", 5, 0.3) == {"digoxine": 0, "doliprane": 0}
    assert await store.scarce_words([], "fr", 5, 1.0) == {}


async def test_a_bulk_import_is_searchable_during_and_after(store: Corpus) -> None:
    """During a first import the bot answers from what is already written, and afterwards from
    all of it (the store may defer its index to the end of the import)."""
    async with store.bulk():
        await put(store, "notes/a.md", [("La colchicine se donne à faible dose.", NEAR)])
        assert texts(await store.search(query("colchicine"))) == [
            "La colchicine se donne à faible dose."
        ]
        await put(store, "notes/b.md", [("Le paracétamol est un antalgique.", CLOSE)])
    assert texts(await store.search(query("colchicine", mode="vector"))) == [
        "La colchicine se donne à faible dose.",
        "Le paracétamol est un antalgique.",
    ]
