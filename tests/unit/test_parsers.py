"""Reading corpus files: metadata, structure, and a clear reason for every file we cannot read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfWriter

from adapters.parsers import parse_file
from core.errors import EmptyDocument, UnreadableDocument, UnsupportedFormat
from tests.conftest import note, write


def test_markdown_front_matter_and_heading_path(tmp_path: Path) -> None:
    """Sources show title, publisher, date and the section a passage came from."""
    body = "Intro.\n\n## Posologie\n\n### Adulte\n\n- 1 g par prise.\n- 4 g par jour au maximum.\n"
    [doc] = parse_file(write(tmp_path, "n.md", note("Paracétamol : posologie", body)))
    assert doc.meta.title == "Paracétamol : posologie"
    assert (doc.meta.publisher, doc.meta.language) == ("HAS", "fr")
    assert doc.meta.published == date(2024, 1, 15)
    paths = [s.path for s in doc.sections]
    assert paths == [
        ("Paracétamol : posologie",),
        ("Paracétamol : posologie", "Posologie", "Adulte"),
    ]
    assert doc.sections[1].paragraphs == ("1 g par prise.", "4 g par jour au maximum.")


def test_front_matter_declares_what_a_note_is_about(tmp_path: Path) -> None:
    """An author declares the medicines a note is about (a list or one name); anything else is
    a clear error naming the field, not a note silently held to no subject."""
    listed = note("AVK", "Surveiller l'INR.", subjects="[warfarine, 'fluindione', warfarine, ' ']")
    assert parse_file(write(tmp_path, "a.md", listed))[0].meta.subjects == (
        "warfarine",
        "fluindione",
    )
    one = note("AVK", "Surveiller l'INR.", subjects="acide acétylsalicylique")
    assert parse_file(write(tmp_path, "b.md", one))[0].meta.subjects == ("acide acétylsalicylique",)
    assert parse_file(write(tmp_path, "c.md", note("AVK", "INR.")))[0].meta.subjects == ()
    bad = note("AVK", "Surveiller l'INR.", subjects="{warfarine: 1}")
    with pytest.raises(UnreadableDocument, match="subjects"):
        parse_file(write(tmp_path, "d.md", bad))


def test_content_hash_changes_with_content_only(tmp_path: Path) -> None:
    """Re-ingesting an unchanged file is detected; an edited one is not mistaken for it."""
    path = write(tmp_path, "a.txt", "Une phrase.")
    first = parse_file(path)[0].content_hash
    assert parse_file(path)[0].content_hash == first
    path.write_text("Une autre phrase.")
    assert parse_file(path)[0].content_hash != first


def test_html_drops_scripts_and_navigation(tmp_path: Path) -> None:
    """Only the page's content is indexed, never its scripts or menus."""
    html = (
        "<html><head><title>Fiche AVK</title><script>var x = 1;</script></head><body>"
        "<nav>Accueil | Contact</nav><h1>AVK</h1><p>Surveiller l&#39;INR &amp; adapter.</p>"
        "<h2>Cibles</h2><p>INR cible 2 à 3.</p></body></html>"
    )
    [doc] = parse_file(write(tmp_path, "p.html", html))
    assert doc.meta.title == "Fiche AVK"
    assert [(s.path, s.paragraphs) for s in doc.sections] == [
        (("AVK",), ("Surveiller l'INR & adapter.",)),
        (("AVK", "Cibles"), ("INR cible 2 à 3.",)),
    ]


def test_jsonl_one_document_per_line(tmp_path: Path) -> None:
    """A JSON Lines export becomes one document per record, each with its own identity."""
    lines = (
        '{"id": "a", "title": "A", "text": "Texte A.", "language": "fr"}\n\n'
        '{"id": "b", "text": "The dose is given with food."}\n'
    )
    docs = parse_file(write(tmp_path, "c.jsonl", lines))
    assert [d.source_key.rsplit("#", 1)[1] for d in docs] == ["a", "b"]
    assert docs[1].meta.language == "en"  # detected when not given


def test_latin1_file_is_read(tmp_path: Path) -> None:
    """Older exports in Windows-1252 keep their accents."""
    path = tmp_path / "old.txt"
    path.write_bytes("Posologie usuelle chez l'enfant : 15 mg/kg. Fièvre.".encode("cp1252"))
    [doc] = parse_file(path)
    assert "Fièvre." in doc.sections[0].paragraphs[0]


def test_latin1_with_a_byte_windows_1252_lacks_is_read(tmp_path: Path) -> None:
    """A Latin-1 export with a stray C1 control (0x81) is read, not refused whole."""
    path = tmp_path / "old.txt"
    advice = "Fièvre persistante au-delà de trois jours chez l'adulte : consulter un médecin. "
    path.write_bytes(("Fièvre \x81persistante. " + 3 * advice).encode("latin-1"))
    [doc] = parse_file(path)
    assert doc.sections[0].paragraphs[0].startswith("Fièvre")


def _pdf_with_text(text: str) -> bytes:
    """A minimal one-page PDF whose page shows `text` (Helvetica)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    """A text PDF (a guideline export) is indexed page by page."""
    path = tmp_path / "guide.pdf"
    path.write_bytes(_pdf_with_text("Warfarin target INR is 2 to 3."))
    [doc] = parse_file(path)
    assert doc.sections[0].path == ("page 1",)
    assert "INR is 2 to 3" in doc.sections[0].paragraphs[0]


def test_pdf_without_text_is_refused_with_a_hint(tmp_path: Path) -> None:
    """A scanned PDF is reported as needing OCR, not silently indexed as nothing."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as file:
        writer.write(file)
    with pytest.raises(EmptyDocument, match="OCR"):
        parse_file(path)


@pytest.mark.parametrize(
    ("name", "content", "error", "reason"),
    [
        ("bin.txt", b"\x00\x01\x02binary\x00", UnreadableDocument, "binary"),
        ("bad.pdf", b"%PDF-1.4 this is not a pdf", UnreadableDocument, "PDF"),
        ("bad.md", b"---\ntitle: [unclosed\n---\nx", UnreadableDocument, "front matter"),
        ("date.md", b"---\npublished: yesterday\n---\nText.", UnreadableDocument, "date"),
        ("empty.md", b"---\ntitle: T\n---\n\n", EmptyDocument, "no text"),
        ("bad.jsonl", b'{"id": 1, "text": "ok"}\n{oops\n', UnreadableDocument, "line 2"),
        ("sheet.xlsx", b"PK\x03\x04", UnsupportedFormat, ".xlsx"),
        ("weird.txt", bytes(range(0x80, 0xA0)) * 4, UnreadableDocument, "encoding"),
    ],
)
def test_bad_files_are_refused_by_name_and_reason(
    tmp_path: Path, name: str, content: bytes, error: type[Exception], reason: str
) -> None:
    """Each unreadable file gets a reason an operator can act on."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=reason):
        parse_file(path)
