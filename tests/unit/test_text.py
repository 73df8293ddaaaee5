"""Sentence splitting, language detection and chunking."""

from __future__ import annotations

from core.documents import ChunkBudget, ParsedDocument, Section, chunk_document, embedding_text
from core.models import DocumentMeta
from core.text import content_words, detect_language, keywords, split_sentences


def test_decimals_and_abbreviations_do_not_end_sentences() -> None:
    """A dose such as 0.5 mg or an abbreviation never cuts a quoted sentence in two."""
    text = "Give 0.5 mg i.m. now, e.g. In the thigh. Voir cf. RCP p. 3 selon Dr. Martin."
    assert split_sentences(text) == [
        "Give 0.5 mg i.m. now, e.g. In the thigh.",
        "Voir cf. RCP p. 3 selon Dr. Martin.",
    ]
    assert split_sentences("Déficit en vitamine K. Leur effet.") == [
        "Déficit en vitamine K.",
        "Leur effet.",
    ]


def test_a_unit_at_the_end_of_a_sentence_ends_it() -> None:
    """'... 4 g.' closes a sentence, so the next one can be quoted on its own."""
    assert split_sentences("La dose maximale est de 4 g. Chez l'enfant, 60 mg/kg.") == [
        "La dose maximale est de 4 g.",
        "Chez l'enfant, 60 mg/kg.",
    ]


def test_language_of_french_and_english_questions() -> None:
    """The reply comes in the language of the question, French by default."""
    assert detect_language("Quelle est la dose maximale de paracétamol ?") == "fr"
    assert detect_language("What is the maximum dose of paracetamol?") == "en"
    assert detect_language("and in children?") == "en"
    assert detect_language("et chez l'enfant ?") == "fr"
    assert detect_language("INR", default="en") == "en"


def test_keywords_fold_accents_and_drop_function_words() -> None:
    """Matching a question to a sentence ignores accents and words like 'the' or 'est'."""
    assert keywords("Quelle est la posologie du paracétamol chez l'enfant ?") == {
        "posolo",
        "parace",
        "enfant",
    }


def test_inverted_questions_keep_the_verb_alone() -> None:
    """In "augmente-t-il" the content word is the verb: that is what the corpus is asked about
    (a whole "augmente-t-il" is in no passage, and the bot would say it knows no such word)."""
    words = content_words("Le risque AUGMENTE-T-IL avec l'âge ? Peut-on l’associer ?")
    assert words == {"risque": "risque", "augmen": "AUGMENTE", "age": "âge", "associ": "associer"}


def _doc(*sections: Section) -> ParsedDocument:
    return ParsedDocument("k", DocumentMeta(title="T"), sections, "h")


def test_chunks_keep_heading_path_and_whole_sentences() -> None:
    """Every passage says where it comes from and ends at a sentence boundary."""
    sentence = "La posologie usuelle est de 1 g par prise chez l'adulte de plus de 50 kg."
    section = Section(("T", "Posologie"), tuple([sentence] * 30))
    chunks = chunk_document(_doc(section), ChunkBudget(300))
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.section_path == ("T", "Posologie")
        assert len(chunk.text) <= 300
        assert chunk.text.endswith(".")
        assert all(s == sentence for s in split_sentences(chunk.text))
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_a_sentence_longer_than_a_chunk_stays_whole() -> None:
    """Never split mid-sentence, even when one sentence exceeds the chunk size."""
    long_sentence = "Mot " * 200 + "fin."
    chunks = chunk_document(
        _doc(Section(("T",), ("Court.", long_sentence, "Après."))), ChunkBudget(100)
    )
    assert [c.text for c in chunks] == ["Court.", " ".join(long_sentence.split()), "Après."]


def test_sections_never_share_a_chunk() -> None:
    """A passage cites one section, so sections are chunked separately."""
    chunks = chunk_document(_doc(Section(("A",), ("Un.",)), Section(("B",), ("Deux.",))))
    assert [(c.section_path, c.text) for c in chunks] == [(("A",), "Un."), (("B",), "Deux.")]


def test_the_title_line_counts_against_the_budget() -> None:
    """A passage is embedded with its title and headings: together they fit the model."""
    doc = ParsedDocument(
        "k",
        DocumentMeta(title="Un titre assez long"),
        (Section(("Dose",), ("Phrase un.",) * 9),),
        "h",
    )
    words = ChunkBudget(12, lambda texts: [len(t.split()) for t in texts], separator=0)
    chunks = chunk_document(doc, words)
    assert [c.text for c in chunks] == ["Phrase un. Phrase un. Phrase un."] * 3
    assert all(len(embedding_text(doc, c).split()) <= 12 for c in chunks)
