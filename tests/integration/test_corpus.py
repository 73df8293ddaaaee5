"""Ingestion and hybrid retrieval against the real embedded PostgreSQL and the real local model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from pgvector.asyncpg import register_vector

from adapters.embedders.local import LocalEmbedder
from adapters.postgres import store
from adapters.postgres.database import search_settings
from adapters.postgres.store import HNSW_M, PgCorpus
from bots.wiring import demo_corpus_dir, read_files
from core import ingestion
from core.documents import ChunkBudget
from core.errors import EmbedderError, IndexMismatch, StoreBusy
from core.ingestion import Ingestor
from core.ports import EmbedderIdentity, SearchQuery
from core.text import subject_words
from tests.conftest import note, write

PARACETAMOL = note(
    "Paracétamol : posologie",
    "## Adulte\n\nLa dose maximale est de 4 g par jour chez l'adulte de plus de 50 kg.\n\n"
    "## Surdosage\n\nLe surdosage expose à une hépatite grave ; "
    "l'antidote est la N-acétylcystéine.",
)
ADRENALINE = note(
    "Anaphylaxis: adrenaline",
    "## Dose\n\nIn adults give 0.5 mg of adrenaline intramuscularly into the thigh.",
    language="en",
    publisher="Resuscitation Council UK",
)


async def _search(corpus: PgCorpus, embedder: LocalEmbedder, text: str, **kw: object) -> list:
    [vector] = await embedder.embed([text])
    language = kw.pop("language", "fr")
    return await corpus.search(SearchQuery(text, vector, language, 5, **kw))  # type: ignore[arg-type]


async def _count(pool: asyncpg.Pool, table: str) -> int:
    return int(await pool.fetchval(f"SELECT count(*) FROM {table}"))


async def test_ingest_is_idempotent(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, pool: asyncpg.Pool
) -> None:
    """Re-running an ingestion on unchanged files writes nothing and keeps passage ids."""
    write(tmp_path, "p.md", PARACETAMOL)
    write(tmp_path, "a.md", ADRENALINE)
    ingestor = Ingestor(embedder, corpus)
    first = await ingestor.ingest(read_files([tmp_path]))
    assert (first.added, first.unchanged, first.failed) == (2, 0, [])
    ids = await pool.fetch("SELECT id FROM passages ORDER BY id")
    second = await ingestor.ingest(read_files([tmp_path]))
    assert (second.added, second.replaced, second.unchanged, second.passages) == (0, 0, 2, 0)
    assert await pool.fetch("SELECT id FROM passages ORDER BY id") == ids


async def test_changed_file_replaces_its_passages(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, pool: asyncpg.Pool
) -> None:
    """An edited note's old text can no longer be retrieved; the other notes are untouched."""
    path = write(tmp_path, "p.md", PARACETAMOL)
    write(tmp_path, "a.md", ADRENALINE)
    ingestor = Ingestor(embedder, corpus)
    await ingestor.ingest(read_files([tmp_path]))
    before = await _count(pool, "passages")
    path.write_text(PARACETAMOL.replace("4 g par jour", "3 g par jour"))
    report = await ingestor.ingest(read_files([tmp_path]))
    assert (report.replaced, report.unchanged) == (1, 1)
    assert await _count(pool, "passages") == before
    texts = [r["text"] for r in await pool.fetch("SELECT text FROM passages")]
    assert any("3 g par jour" in t for t in texts)
    assert not any("4 g par jour" in t for t in texts)


async def test_prune_removes_documents_whose_file_is_gone(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, pool: asyncpg.Pool
) -> None:
    """--prune forgets deleted files but never a file that merely failed to parse this time."""
    gone = write(tmp_path, "gone.md", ADRENALINE)
    broken = write(tmp_path, "broken.md", PARACETAMOL)
    ingestor = Ingestor(embedder, corpus)
    await ingestor.ingest(read_files([tmp_path]))
    gone.unlink()
    broken.write_bytes(b"\x00\x00 now binary")
    report = await ingestor.ingest(read_files([tmp_path]), [str(tmp_path.resolve())])
    assert report.pruned == [str(gone.resolve())]
    assert [f for f, _ in report.failed] == [str(broken.resolve())]
    keys = [r["source_key"] for r in await pool.fetch("SELECT source_key FROM documents")]
    assert keys == [str(broken.resolve())]


async def test_bad_file_is_reported_and_the_rest_goes_in(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, pool: asyncpg.Pool
) -> None:
    """One corrupt file in a folder does not stop the import of the others."""
    write(tmp_path, "good.md", PARACETAMOL)
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    report = await Ingestor(embedder, corpus).ingest(read_files([tmp_path, tmp_path / "nope.md"]))
    assert report.added == 1
    reasons = dict(report.failed)
    assert "PDF" in reasons[str((tmp_path / "bad.pdf").resolve())]
    assert "no such file" in reasons[str((tmp_path / "nope.md").resolve())]
    assert await _count(pool, "documents") == 1


async def test_hybrid_search_finds_the_right_note_in_both_languages(
    corpus: PgCorpus, embedder: LocalEmbedder
) -> None:
    """French and English questions retrieve the demo note that answers them, first."""
    await Ingestor(embedder, corpus).ingest(read_files([demo_corpus_dir()], demo=True))
    cases = [
        ("Quelle est la dose maximale de paracétamol chez l'adulte ?", "fr", "paracétamol"),
        ("What is the adrenaline dose in anaphylaxis?", "en", "anaphylaxis"),
        ("Cible d'INR sous antivitamine K", "fr", "cibles d'inr"),
        ("How to treat hyperkalaemia in an emergency?", "en", "hyperkal"),
    ]
    for question, language, expected in cases:
        found = await _search(corpus, embedder, question, language=language)
        assert found, question
        assert expected in found[0].document.title.lower(), (question, found[0].document.title)
        assert found[0].document.is_demo
        assert found[0].similarity > 0.3


async def test_unknown_words_are_those_no_passage_holds(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder
) -> None:
    """A clinician's word counts as known when a passage holds it: accents, inflection and a
    longer word it starts do not matter; a medicine the corpus lacks, or a typo, is unknown."""
    write(tmp_path, "p.md", PARACETAMOL)
    write(tmp_path, "a.md", ADRENALINE)
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    asked = ["paracetamol", "Surdosages", "max", "hépatites", "KARDEGIC", "parcétamol", "et"]
    english = ["thighs", "intramuscular", "warfarin"]
    unknown = {"KARDEGIC": 0, "parcétamol": 0}
    for statistics in ("none yet", "analysed"):  # with statistics, common lexemes are known
        assert await corpus.scarce_words(asked, "fr", 0, 0) == unknown, statistics
        assert await corpus.scarce_words(english, "en", 0, 0) == {"warfarin": 0}, statistics
        assert await corpus.scarce_words([], "fr", 0, 0) == {}
        await corpus.pool.execute("ANALYZE passages")
    listed = await corpus.pool.fetchval(
        "SELECT most_common_elems::text FROM pg_stats WHERE tablename = 'passages'"
        " AND attname = 'tsv'"
    )
    assert "paracetamol" in listed  # the second round took the statistics' path


async def test_scarce_words_are_counted_up_to_the_limit(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder
) -> None:
    """A medicine that one opinion cites as a comparator is held by one passage: the evidence
    check counts it as scarce; a word held by more passages than the limits (a number, a share
    of the corpus) is not listed."""
    write(tmp_path, "a.md", note("Avis A", "Cancer colorectal : cétuximab comparé à ERBITUX."))
    write(tmp_path, "b.md", note("Avis B", "Cancer colorectal : cétuximab en première ligne."))
    write(tmp_path, "c.md", note("Avis C", "Cancer colorectal : cétuximab, tolérance."))
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    asked = ["ERBITUX", "cétuximab", "KARDEGIC"]
    assert await corpus.scarce_words(asked, "fr", 2, 1) == {"ERBITUX": 1, "KARDEGIC": 0}
    every = {"ERBITUX": 1, "cétuximab": 3, "KARDEGIC": 0}
    assert await corpus.scarce_words(asked, "fr", 3, 1) == every
    # At most half the passages: 1 of 3.
    assert await corpus.scarce_words(asked, "fr", 3, 0.5) == {"ERBITUX": 1, "KARDEGIC": 0}


async def test_the_subjects_a_question_names_are_those_of_live_documents(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder
) -> None:
    """The bot recognises a drug the corpus declares as a subject whatever the accents or case;
    a subject of several words only when the question holds them all; a withdrawn document's
    subjects, or those an edit removed, no longer count; every passage carries its subjects."""
    aspirin = note("Aspirine", "Antiagrégant.", subjects="[acide acétylsalicylique, KARDEGIC]")
    write(tmp_path, "a.md", aspirin)
    write(tmp_path, "w.md", note("AVK", "Surveiller l'INR.", subjects="[warfarine]"))
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))

    async def named(question: str) -> set[tuple[str, ...]]:
        return set(await corpus.named_subjects(subject_words(question)))

    asked = "Peut-on associer l'Acide acetylsalicylique et la WARFARINE ?"
    assert await named(asked) == {("acide", "acetylsalicylique"), ("warfarine",)}  # in order
    assert await named("Quel acide pour le kardegic ?") == {("kardegic",)}  # not all the words
    assert await named("") == set()
    [found, *_] = await _search(corpus, embedder, "Antiagrégant")
    assert found.document.subjects == ("acide acétylsalicylique", "KARDEGIC")

    write(tmp_path, "a.md", aspirin.replace(", KARDEGIC", ""))
    await corpus.retire_documents([str((tmp_path / "w.md").resolve())])
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path / "a.md"]))
    assert await named("KARDEGIC et warfarine ?") == set()


async def test_the_sources_about_every_drug_named_are_found_nearest_first(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder
) -> None:
    """The bot can look up the sources about two drugs together by what they declare: a
    substance inside a longer subject counts ("chlorhydrate de metformine"); a source about one
    of them only, or a withdrawn one, does not."""
    drug, contrast_agent = "chlorhydrate de metformine", "produits de contraste iodés"
    both = f"[{drug}, {contrast_agent}]"
    write(tmp_path, "a.md", note("Metformine et iode", "Suspendre la metformine.", subjects=both))
    write(tmp_path, "b.md", note("Metformine", "Biguanide.", subjects=f"[{drug}]"))
    write(tmp_path, "c.md", note("Contraste", "Hydrater.", subjects=f"[{contrast_agent}]"))
    write(tmp_path, "d.md", note("Ancienne fiche", "Retirée.", subjects=both))
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    await corpus.retire_documents([str((tmp_path / "d.md").resolve())])
    question = "Metformine et produits de contraste iodés ?"
    [vector] = await embedder.embed([question])
    query = SearchQuery(question, vector, "fr", 5)
    metformin, contrast = subject_words("metformine"), subject_words(contrast_agent)

    found = await corpus.about([metformin, contrast], query)
    assert [p.document.title for p in found] == ["Metformine et iode"]
    either = await corpus.about([metformin], query)
    assert {p.document.title for p in either} == {"Metformine et iode", "Metformine"}
    assert [p.similarity for p in either] == sorted((p.similarity for p in either), reverse=True)
    assert await corpus.about([], query) == []
    assert await corpus.about([metformin], SearchQuery(question, vector, "fr", 1)) == either[:1]


async def test_filters_never_starve_the_result(corpus: PgCorpus, embedder: LocalEmbedder) -> None:
    """Filtering on language or publisher still returns the k best matching passages."""
    await Ingestor(embedder, corpus).ingest(read_files([demo_corpus_dir()], demo=True))
    english = await _search(corpus, embedder, "dose", language="en", languages=("en",))
    assert len(english) == 5
    assert {p.document.language for p in english} == {"en"}
    ansm = await _search(corpus, embedder, "vaccination", publishers=("ANSM",))
    assert len(ansm) == 5
    assert {p.document.publisher for p in ansm} == {"ANSM"}


async def test_a_source_retired_while_searching_is_passed_over_and_k_still_found(
    corpus: PgCorpus, embedder: LocalEmbedder, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two arms and the read of their passages are separate statements: a note withdrawn in
    between is never quoted, and the clinician still gets k passages."""
    await Ingestor(embedder, corpus).ingest(read_files([demo_corpus_dir()], demo=True))
    question = "Quelle est la dose maximale de paracétamol chez l'adulte ?"
    before = await _search(corpus, embedder, question)
    arm = store._arm

    async def then_retire(*args: object) -> list[asyncpg.Record]:
        rows = await arm(*args)  # type: ignore[arg-type]
        await pool.execute(
            "UPDATE documents SET retired_at = now() WHERE id = $1", before[0].document_id
        )
        return rows

    monkeypatch.setattr(store, "_arm", then_retire)
    after = await _search(corpus, embedder, question)
    assert len(after) == len(before) == 5
    assert before[0].document_id not in {p.document_id for p in after}
    kept = [p.passage_id for p in before if p.document_id != before[0].document_id]
    assert [p.passage_id for p in after][: len(kept)] == kept  # the rest, in the same order


async def test_a_note_replaced_while_searching_is_quoted_only_as_it_now_stands(
    tmp_path: Path,
    corpus: PgCorpus,
    embedder: LocalEmbedder,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An import can replace a note while a question is searched (one arm sees the old version,
    the other the new): the clinician is never quoted the old text, and still gets k passages."""
    await Ingestor(embedder, corpus).ingest(read_files([demo_corpus_dir()], demo=True))
    write(tmp_path, "zorbitol.md", note("Zorbitol", "La dose maximale de zorbitol est 2 g/j."))
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    old = await pool.fetchval("SELECT id FROM passages WHERE text LIKE '%zorbitol est 2 g%'")
    arm, replaced, seen_by_vector = store._arm, asyncio.Event(), []

    async def replaced_between_the_arms(
        pool_: asyncpg.Pool, weight: float, sql: str, *args: object
    ) -> list[asyncpg.Record]:
        if "<=>" not in sql:  # the text arm runs on the new version
            await replaced.wait()
            return await arm(pool_, weight, sql, *args)
        rows = await arm(pool_, weight, sql, *args)  # the vector arm, on the old one
        seen_by_vector.extend(r["id"] for r in rows)
        write(tmp_path, "zorbitol.md", note("Zorbitol", "La dose maximale de zorbitol est 3 g/j."))
        await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
        replaced.set()
        return rows

    monkeypatch.setattr(store, "_arm", replaced_between_the_arms)
    found = await _search(corpus, embedder, "dose maximale de zorbitol")
    assert old in seen_by_vector  # the old version was a candidate
    assert len(found) == 5
    quoted = [p.text for p in found if "zorbitol" in p.text]
    assert quoted == ["La dose maximale de zorbitol est 3 g/j."]
    live = {r["id"] for r in await pool.fetch("SELECT id FROM passages")}
    assert {p.passage_id for p in found} <= live


def _large_and_small_sources(folder: Path) -> tuple[Path, Path]:
    """Twelve records of a large source, three protocols of a small one (fewer than 10 passages)."""
    large, small = folder / "large", folder / "small"
    for i in range(12):
        body = f"Spécialité {i} : comprimé pelliculé, boîte de {i + 10}, voie orale."
        write(large, f"large{i}.md", note(f"Spécialité {i}", body, publisher="Grande base"))
    for i, word in enumerate(("rein", "foie", "coeur")):
        body = f"Le protocole de sepsis du service adapte la dose au {word}."
        write(small, f"small{i}.md", note(f"Sepsis {word}", body, publisher="CHU local"))
    return large, small


@asynccontextmanager
async def _starved_graph(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool whose HNSW search returns its first candidate only (and is planned even on so few
    passages): where the graph misses, only the exact search of small sources finds them."""
    starved = {
        "hnsw.ef_search": "1",
        "hnsw.iterative_scan": "off",
        "enable_seqscan": "off",
        "enable_sort": "off",
    }
    reader = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=2,
        init=register_vector,
        server_settings={**search_settings(), **starved},
    )
    try:
        yield reader
    finally:
        await reader.close()


async def _publishers(corpus: PgCorpus, embedder: LocalEmbedder) -> list[str | None]:
    passages = await _search(corpus, embedder, "protocole de sepsis", mode="vector")
    return [p.document.publisher for p in passages]


async def test_a_small_source_is_searched_whole_beside_a_large_one(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, database_url: str
) -> None:
    """A hospital's few protocols are found beside a large import even where the HNSW graph
    search finds almost nothing (clinician: the answer held by a small source is not missed)."""
    await Ingestor(embedder, corpus).ingest(read_files(list(_large_and_small_sources(tmp_path))))
    async with _starved_graph(database_url) as reader:
        found = {
            exact_below: await _publishers(
                PgCorpus(corpus.pool, corpus.identity, read_pool=reader, exact_below=exact_below),
                embedder,
            )
            for exact_below in (10, 0)
        }
    assert found[10][:3] == ["CHU local"] * 3
    assert len(found[0]) == 1  # the graph alone, starved: what the exact search makes up for


async def test_a_small_source_imported_by_another_process_is_soon_searched_whole(
    tmp_path: Path,
    corpus: PgCorpus,
    embedder: LocalEmbedder,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Protocols imported with `medgpt ingest` while the bot runs are searched whole once the
    bot has looked again (operator: no restart after an import)."""
    monkeypatch.setattr(store, "SMALL_SOURCES_TTL", 0.0)
    large, small = _large_and_small_sources(tmp_path)
    await Ingestor(embedder, corpus).ingest(read_files([large]))
    async with _starved_graph(database_url) as reader:
        bot = PgCorpus(corpus.pool, corpus.identity, read_pool=reader, exact_below=10)
        assert "CHU local" not in await _publishers(bot, embedder)
        await Ingestor(embedder, corpus).ingest(read_files([small]))  # another PgCorpus
        await _publishers(bot, embedder)  # answered with what it knew; looks again meanwhile
        assert bot._refreshing is not None
        await bot._refreshing
        assert (await _publishers(bot, embedder))[:3] == ["CHU local"] * 3


async def test_index_built_by_another_model_is_a_clear_error(pool: asyncpg.Pool) -> None:
    """Mixing embeddings of two models would return garbage: refuse, and say how to fix it."""
    await PgCorpus(pool, EmbedderIdentity("model-a", 384, "aaa")).ensure_index()
    with pytest.raises(IndexMismatch, match=r"model-a \(384.*model-b \(768"):
        await PgCorpus(pool, EmbedderIdentity("model-b", 768, None)).ensure_index()


async def test_a_dropped_vector_index_is_built_again_at_start(
    pool: asyncpg.Pool, corpus: PgCorpus
) -> None:
    """An operator rebuilds the HNSW index with new parameters by dropping it: the next start
    builds it again, with the app's parameters; an existing one is left alone."""
    await pool.execute("DROP INDEX passages_embedding_hnsw")
    await corpus.ensure_index()
    definition = await pool.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'passages_embedding_hnsw'"
    )
    assert f"m='{HNSW_M}'" in definition
    oid = await pool.fetchval("SELECT 'passages_embedding_hnsw'::regclass::oid")
    await corpus.ensure_index()
    assert await pool.fetchval("SELECT 'passages_embedding_hnsw'::regclass::oid") == oid


async def test_writer_blocked_by_another_process_reports_busy(
    tmp_path: Path, corpus: PgCorpus, embedder: LocalEmbedder, pool: asyncpg.Pool
) -> None:
    """A lock held elsewhere gives 'busy, try again', and the stored document is unchanged."""
    path = write(tmp_path, "p.md", PARACETAMOL)
    await Ingestor(embedder, corpus).ingest(read_files([path]))
    corpus.lock_timeout = "200ms"
    path.write_text(PARACETAMOL.replace("4 g", "2 g"))
    async with pool.acquire() as other, other.transaction():
        await other.execute("LOCK TABLE passages IN ACCESS EXCLUSIVE MODE")
        async with pool.acquire() as _:
            with pytest.raises(StoreBusy, match="locked by another process"):
                await Ingestor(embedder, corpus).ingest(read_files([path]))
    texts = [r["text"] for r in await pool.fetch("SELECT text FROM passages")]
    assert any("4 g" in t for t in texts)


class _FailsOnCall:
    """The real model, failing from its n-th call (a remote embedder going away mid-import)."""

    def __init__(self, inner: LocalEmbedder, failing_call: int) -> None:
        self.inner, self.failing_call, self.calls = inner, failing_call, 0
        self.identity = inner.identity

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls >= self.failing_call:
            raise EmbedderError("the embeddings server went away")
        return await self.inner.embed(texts)

    def chunk_budget(self) -> ChunkBudget:
        return self.inner.chunk_budget()


async def test_model_failure_mid_import_keeps_what_was_embedded(
    tmp_path: Path,
    corpus: PgCorpus,
    embedder: LocalEmbedder,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An import cut by the model keeps the documents already embedded; a re-run adds the rest."""
    monkeypatch.setattr(ingestion, "EMBED_BATCH", 1)  # one document per batch
    for i in range(4):
        write(tmp_path, f"n{i}.md", note(f"Note {i}", f"La note numéro {i} parle du rein."))
    failing = _FailsOnCall(embedder, failing_call=3)
    with pytest.raises(EmbedderError):
        await Ingestor(failing, corpus).ingest(read_files([tmp_path]))
    # Two batches were embedded: the second was still being written when the third failed.
    assert await _count(pool, "documents") == 2
    report = await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    assert (report.added, report.unchanged) == (2, 2)


class _WatchesIndex:
    """The real model, noting at each call whether the vector index exists (an import's
    writes run beside the model)."""

    def __init__(self, inner: LocalEmbedder, pool: asyncpg.Pool) -> None:
        self.inner, self.pool, self.seen = inner, pool, []
        self.identity = inner.identity

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self.seen.append(await self.pool.fetchval(_INDEX_OID))
        return await self.inner.embed(texts)

    def chunk_budget(self) -> ChunkBudget:
        return self.inner.chunk_budget()


_INDEX_OID = "SELECT to_regclass('passages_embedding_hnsw')::oid"


async def test_an_import_into_a_small_corpus_builds_the_vector_index_once_at_its_end(
    tmp_path: Path,
    corpus: PgCorpus,
    embedder: LocalEmbedder,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A first import does not pay for the graph passage by passage (operator: import time),
    and ends with the index searches need, built with the app's parameters."""
    monkeypatch.setattr(ingestion, "EMBED_BATCH", 1)
    for i in range(3):
        write(tmp_path, f"n{i}.md", note(f"Note {i}", f"La note numéro {i} parle du rein."))
    watching = _WatchesIndex(embedder, pool)
    await Ingestor(watching, corpus).ingest(read_files([tmp_path]))
    assert watching.seen == [None, None, None]
    definition = await pool.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'passages_embedding_hnsw'"
    )
    assert f"m='{HNSW_M}'" in definition
    assert await _search(corpus, embedder, "numéro 2 rein")


async def test_an_import_into_a_large_corpus_keeps_its_vector_index(
    tmp_path: Path,
    corpus: PgCorpus,
    embedder: LocalEmbedder,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Searches on a production corpus keep their index while an update is imported."""
    path = write(tmp_path, "p.md", PARACETAMOL)
    await Ingestor(embedder, corpus).ingest(read_files([path]))
    oid = await pool.fetchval(_INDEX_OID)
    monkeypatch.setattr(store, "BULK_IMPORT_BELOW", 1)  # one passage is "large" here
    path.write_text(PARACETAMOL.replace("4 g", "3 g"))
    watching = _WatchesIndex(embedder, pool)
    report = await Ingestor(watching, corpus).ingest(read_files([path]))
    assert report.replaced == 1
    assert watching.seen == [oid]
    assert await pool.fetchval(_INDEX_OID) == oid


async def test_a_failed_import_still_builds_the_vector_index(
    tmp_path: Path,
    corpus: PgCorpus,
    embedder: LocalEmbedder,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What an import cut short did write is searchable through the index at once."""
    monkeypatch.setattr(ingestion, "EMBED_BATCH", 1)
    for i in range(3):
        write(tmp_path, f"n{i}.md", note(f"Note {i}", f"La note numéro {i} parle du rein."))
    with pytest.raises(EmbedderError):
        await Ingestor(_FailsOnCall(embedder, failing_call=2), corpus).ingest(
            read_files([tmp_path])
        )
    assert await _count(pool, "documents") == 1
    assert await pool.fetchval(_INDEX_OID) is not None


async def test_the_index_build_raises_the_memory_for_its_graph_up_to_a_cap(
    tmp_path: Path,
    corpus: PgCorpus,
    embedder: LocalEmbedder,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large graph is built in memory (operator: rebuild time), never with more than the cap,
    and a server given more keeps its own setting."""
    await Ingestor(embedder, corpus).ingest(read_files([write(tmp_path, "p.md", PARACETAMOL)]))
    executed: list[str] = []
    execute = asyncpg.connection.Connection.execute

    async def spy(
        conn: asyncpg.connection.Connection, query: str, *args: object, **kw: object
    ) -> str:
        executed.append(query)
        return await execute(conn, query, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncpg.connection.Connection, "execute", spy)
    monkeypatch.setattr(store, "INDEX_BUILD_KB_PER_PASSAGE", 10**6)  # as for a large corpus
    for cap, expected in ((200_000, ["SET maintenance_work_mem = '200000kB'"]), (1_000, [])):
        monkeypatch.setattr(store, "INDEX_BUILD_MAX_KB", cap)  # the server has 64 MB (65,536 kB)
        await pool.execute("DROP INDEX passages_embedding_hnsw")
        executed.clear()
        await corpus.ensure_index()
        assert [q for q in executed if "maintenance_work_mem" in q] == expected
        assert await pool.fetchval(_INDEX_OID) is not None


async def test_full_text_candidates_hold_the_three_rarest_terms_when_every_pair_is_common(
    tmp_path: Path,
    corpus: PgCorpus,
    embedder: LocalEmbedder,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a large corpus a question of common words still gets a bounded, specific text arm."""
    holders = {
        "alvéole": range(32),
        "bronche": [*range(4), *range(6, 20)],
        "cartilage": [*range(2, 6), *range(12, 14), *range(24, 32)],
        "diaphragme": [*range(6), *range(24, 28)],
    }
    for i in range(32):
        held = " ".join(word for word, notes in holders.items() if i in notes)
        write(tmp_path, f"n{i}.md", note(f"Fiche {i}", f"Le texte {held} numéro{i}."))
    await Ingestor(embedder, corpus).ingest(read_files([tmp_path]))
    await pool.execute("ANALYZE passages")
    monkeypatch.setattr(store, "MAX_PAIR_CANDIDATES", 3)  # every pair is common here
    question = " ".join(holders)
    [vector] = await embedder.embed([question])
    found = await corpus.search(SearchQuery(question, vector, "fr", 40, mode="text"))
    # The rarest pair alone (diaphragme, cartilage) would bring 8 notes: 2-5 and 24-27.
    assert sorted(p.document.title for p in found) == ["Fiche 2", "Fiche 3"]
