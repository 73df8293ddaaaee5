"""The triage's second reader: learnt weights read and summed in plain Python, asked only when
the word lists see nothing."""

from __future__ import annotations

import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from core import triage, triage_reader
from core.triage import Emergency, assess, detect
from core.triage_reader import NONE, Reader, default_reader, features, folded, parse

ROOT = Path(__file__).resolve().parents[2]
CLASSES = (NONE, "suicide", "stroke")


def reader_of(word: str, kind: str, weight: float = 5.0) -> Reader:
    """A reader that knows one word, as a kind of emergency (its file written by hand)."""
    bucket = zlib.crc32(f"w:{word}".encode()) % 1024
    row = " ".join(str(weight if name == kind else 0.0) for name in CLASSES)
    return parse(
        f"# hand-written\nclasses\t{' '.join(CLASSES)}\nintercepts\t1.0 0.0 0.0\n"
        f"buckets\t1024\nthreshold\t0.5\n{bucket}\t{row}\n"
    )


def test_the_reader_sees_what_the_word_lists_do_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message no word list holds is flagged, as the kind the reader names."""
    text = "zorglub depuis ce matin"
    assert triage.detect_by_words(text) is None
    monkeypatch.setattr(triage, "default_reader", lambda: reader_of("zorglub", "stroke"))
    assert detect(text) is Emergency.STROKE
    assert detect("une question sur la metformine") is None  # below the threshold


def test_the_word_lists_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader is not asked to overrule the words: an arrest they see stays an arrest."""
    monkeypatch.setattr(triage, "default_reader", lambda: reader_of("respire", "suicide"))
    assert detect("mon père est tombé, il ne respire plus") is Emergency.CARDIAC_ARREST


def test_suicidal_thoughts_denied_stay_denied(monkeypatch: pytest.MonkeyPatch) -> None:
    """'Nie toute idée suicidaire' is no crisis, whatever the reader weighs."""
    monkeypatch.setattr(triage, "default_reader", lambda: reader_of("suicidaire", "suicide"))
    assert detect("patient anxieux, nie toute idée suicidaire") is None


def test_a_writer_in_crisis_found_by_the_reader_gets_the_crisis_reply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Suicidal intent about oneself seen by the reader alone still means the crisis line only."""
    monkeypatch.setattr(triage, "default_reader", lambda: reader_of("zorglub", "suicide"))
    triaged = assess("je zorglub ce soir")
    assert triaged is not None
    assert triaged.kind is Emergency.SUICIDE
    assert triaged.in_crisis


def test_the_reader_alone_does_not_replace_a_third_persons_answer_with_the_crisis_reply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A statement the reader alone takes for suicidal, not written about oneself, gets the
    banner with 3114 first over the answer, not the crisis reply that answers nothing."""
    monkeypatch.setattr(triage, "default_reader", lambda: reader_of("zorglub", "suicide"))
    triaged = assess("the user zorglub was asked to wait")
    assert triaged is not None
    assert triaged.kind is Emergency.SUICIDE
    assert not triaged.in_crisis


def test_features_fold_accents_case_and_chat_spellings() -> None:
    """'HÉMORRAGIE' and 'hemorragie', 'jvais' and 'je vais' are one message to the reader."""
    assert features("HÉMORRAGIE massive", 2**18) == features("hemorragie massive", 2**18)
    assert folded("jvais pas bien") == folded("je vais pas bien")


def test_a_malformed_weights_file_is_refused() -> None:
    """A file whose rows lack a class's weight fails at load, not silently at scoring."""
    header = f"classes\t{' '.join(CLASSES)}\nintercepts\t0 0 0\nbuckets\t8\nthreshold\t0.5\n"
    with pytest.raises(ValueError, match="one weight per class"):
        parse(header + "3\t1 2\n")


def test_the_shipped_weights_say_how_they_were_made() -> None:
    """The weights file names its training command and the commit of the data it learnt from."""
    text = (ROOT / "core" / "lexicon" / triage_reader.FILE).read_text()
    assert "python scripts/train_triage.py" in text
    commit = re.search(r"commit ([0-9a-f]{40}), dev split only", text)
    assert commit is not None
    reader = default_reader()
    assert reader.classes[0] == NONE
    assert {e.value for e in Emergency} == set(reader.classes[1:])
    assert 0 < reader.threshold < 1


def test_the_core_scores_without_scikit_learn() -> None:
    """core/ stays pure: reading a message loads neither scikit-learn, scipy nor numpy."""
    code = (
        "import sys; from core.triage import detect; detect('il saigne beaucoup'); "
        "print(sorted({'sklearn', 'scipy', 'numpy'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_what_the_word_lists_read_as_denied_or_past_stays_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A self-harm denied in so many words, or a breath held once as a baby, is not raised back
    into an emergency by the reader, whatever it weighs; the same words affirmed still are."""
    monkeypatch.setattr(triage, "default_reader", lambda: reader_of("fatiguee", "suicide"))
    assert detect("elle n'a aucune envie de se faire du mal, juste fatiguee") is None
    assert detect("elle va se faire du mal, elle est fatiguee") is Emergency.SUICIDE
    monkeypatch.setattr(triage, "default_reader", lambda: reader_of("tests", "cardiac_arrest"))
    assert detect("he stopped breathing once as a baby, any tests?") is None


def test_the_reader_reads_what_is_affirmed_and_the_word_lists_cues() -> None:
    """A denied span is not read ("pas de gonflement" is no swelling to the reader), and the
    word lists tell the reader what they saw denied ("x:denied-…") or affirmed."""
    assert features("juste des boutons, pas de gonflement", 2**18) == features(
        "juste des boutons", 2**18
    )
    denied = triage.cues("pas de gonflement des lèvres, pas de gêne pour respirer")
    assert "x:denied-signs:anaphylaxis" in denied
    assert "x:signs:anaphylaxis:2" in triage.cues("ses lèvres gonflent et elle respire mal")
