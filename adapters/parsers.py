"""Read corpus files into documents: Markdown (YAML front matter), text, HTML, PDF, JSON Lines.

Every failure is a core.errors.DocumentError naming what is wrong with the file, so ingestion
can report it by name and carry on with the others.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import yaml

from core.documents import CHUNKER_VERSION, ParsedDocument, Section
from core.errors import EmptyDocument, UnreadableDocument, UnsupportedFormat
from core.models import DocumentMeta, Language
from core.text import detect_language

MARKDOWN = {".md", ".markdown"}
TEXT = {".txt"}
HTML = {".html", ".htm"}
PDF = {".pdf"}
JSONL = {".jsonl", ".ndjson"}
SUPPORTED = MARKDOWN | TEXT | HTML | PDF | JSONL

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def parse_file(path: Path, source_key: str | None = None) -> list[ParsedDocument]:
    """The documents in one file (several for JSON Lines)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise UnsupportedFormat(f"unsupported file type {suffix or '(none)'}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read the file: {exc.strerror}") from exc
    key = source_key or str(path.resolve())
    if suffix in PDF:
        return [_pdf(raw, key, path)]
    text = decode(raw)
    if suffix in JSONL:
        return list(_jsonl(text, key, raw))
    if suffix in HTML:
        return [_html(text, key, raw, path)]
    return [_markdown(text, key, raw, path)]


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1252, or Latin-1 (which reads any
    byte: a C1 control that Windows-1252 leaves undefined, 0x81 say, does not refuse a whole
    official release); what decodes to too many control characters is refused."""
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableDocument("binary file (contains NUL bytes), not text")
    for encoding in (
        ("utf-8-sig", "utf-16")
        if raw.startswith((b"\xff\xfe", b"\xfe\xff"))
        else ("utf-8-sig", "cp1252", "latin-1")
    ):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    raise UnreadableDocument(
        "unknown text encoding (expected UTF-8, UTF-16, Windows-1252 or Latin-1 text)"
    )


def _looks_like_text(text: str) -> bool:
    controls = sum(
        1 for c in text[:8192] if (ord(c) < 32 and c not in "\t\n\r\f") or 0x80 <= ord(c) < 0xA0
    )
    return controls <= len(text[:8192]) // 100


def _hash(raw: bytes) -> str:
    return hashlib.sha256(raw + b"\0chunker=" + CHUNKER_VERSION.encode()).hexdigest()


def _markdown(text: str, key: str, raw: bytes, path: Path) -> ParsedDocument:
    front, body = _front_matter(text)
    sections = _markdown_sections(body)
    title = str(front.get("title") or _first_heading(sections) or path.stem)
    return _document(key, _meta(front, title), sections, _hash(raw))


def _front_matter(text: str) -> tuple[Mapping[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise UnreadableDocument("front matter opened with --- but never closed")
    try:
        front = yaml.safe_load(parts[0][3:]) or {}
    except yaml.YAMLError as exc:
        raise UnreadableDocument(f"invalid YAML front matter: {exc}") from exc
    if not isinstance(front, Mapping):
        raise UnreadableDocument("front matter is not a mapping of fields")
    return front, parts[1].split("\n", 1)[-1]


def _markdown_sections(body: str) -> tuple[Section, ...]:
    sections: list[Section] = []
    path: tuple[str, ...] = ()
    paragraph: list[str] = []
    paragraphs: list[str] = []

    def close_paragraph() -> None:
        if paragraph:
            paragraphs.append(" ".join(paragraph))
            paragraph.clear()

    def close_section() -> None:
        close_paragraph()
        if paragraphs:
            sections.append(Section(path, tuple(paragraphs)))
            paragraphs.clear()

    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            close_section()
            level = len(heading.group(1))
            path = (*path[: level - 1], heading.group(2).strip())
        elif not line.strip():
            close_paragraph()
        elif re.match(r"^\s*([-*+]|\d+[.)])\s+", line):
            close_paragraph()  # a list item is a paragraph of its own
            paragraph.append(re.sub(r"^\s*([-*+]|\d+[.)])\s+", "", line).strip())
        else:
            paragraph.append(line.strip())
    close_section()
    return tuple(sections)


def _first_heading(sections: tuple[Section, ...]) -> str | None:
    return next((s.path[0] for s in sections if s.path), None)


class _HTMLText(HTMLParser):
    """Headings and block text of an HTML page; scripts, styles and navigation dropped."""

    _SKIP: ClassVar[set[str]] = {
        "script",
        "style",
        "nav",
        "header",
        "footer",
        "noscript",
        "template",
    }
    _BLOCK: ClassVar[set[str]] = {
        "p",
        "li",
        "td",
        "th",
        "div",
        "section",
        "article",
        "br",
        "tr",
        "dd",
        "dt",
        "pre",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.blocks: list[tuple[int, str]] = []  # (heading level or 0, text)
        self._buffer: list[str] = []
        self._skip = 0
        self._level = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._level = int(tag[1])
        elif tag in self._BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag) or tag in self._BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        if text:
            self.blocks.append((self._level, text))
        self._buffer.clear()
        self._level = 0

    def close(self) -> None:
        super().close()
        self._flush()


def _html(text: str, key: str, raw: bytes, path: Path) -> ParsedDocument:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    markdown = "\n\n".join(f"{'#' * level} {t}" if level else t for level, t in parser.blocks)
    sections = _markdown_sections(markdown)
    title = " ".join(parser.title.split()) or _first_heading(sections) or path.stem
    return _document(key, DocumentMeta(title=title), sections, _hash(raw))


def _pdf(raw: bytes, key: str, path: Path) -> ParsedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or path.stem
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableDocument(f"corrupt or encrypted PDF: {exc}") from exc
    sections = tuple(
        Section((f"page {n}",), tuple(p for p in re.split(r"\n\s*\n", text) if p.strip()))
        for n, text in enumerate(pages, start=1)
        if text.strip()
    )
    if not sections:
        raise EmptyDocument("the PDF has no extractable text (a scan? run OCR on it first)")
    return _document(key, DocumentMeta(title=str(title)), sections, _hash(raw))


def _jsonl(text: str, key: str, raw: bytes) -> Iterator[ParsedDocument]:
    """One document per line: {"id", "title", "text", and optional metadata fields}."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnreadableDocument(f"line {number} is not valid JSON: {exc.msg}") from exc
        if not isinstance(record, dict) or not str(record.get("text", "")).strip():
            raise UnreadableDocument(f'line {number} has no "text" field')
        record_id = str(record.get("id", number))
        body = str(record["text"])
        title = str(record.get("title") or record_id)
        paragraphs = tuple(p for p in re.split(r"\n\s*\n", body) if p.strip())
        sections = (Section((title,), paragraphs),)
        line_hash = _hash(line.encode())
        yield _document(f"{key}#{record_id}", _meta(record, title), sections, line_hash)


def _document(
    key: str, meta: DocumentMeta, sections: tuple[Section, ...], content_hash: str
) -> ParsedDocument:
    text = " ".join(p for s in sections for p in s.paragraphs)
    if not text.strip():
        raise EmptyDocument("the document has no text to index")
    if meta.language is None:
        meta = replace(meta, language=detect_language(text[:5000]))
    return ParsedDocument(key, meta, sections, content_hash)


def _meta(fields: Mapping[str, Any], title: str) -> DocumentMeta:
    return DocumentMeta(
        title=title,
        publisher=_str(fields.get("publisher")),
        url=_str(fields.get("url")),
        language=_language(fields.get("language")),
        published=_date(fields.get("published")),
        reviewed=_date(fields.get("reviewed")),
        licence=_str(fields.get("licence") or fields.get("license")),
        version=_str(fields.get("version")),
        source_title=_str(fields.get("source_title")),
        is_demo=bool(fields.get("demo", False)),
        subjects=_subjects(fields.get("subjects")),
    )


def _subjects(value: object) -> tuple[str, ...]:
    """`subjects`: a list of names, or one name."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise UnreadableDocument("subjects: give a list of medicine or substance names")
    return tuple(dict.fromkeys(name for v in value if (name := str(v).strip())))


def _str(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def _language(value: object) -> Language | None:
    text = str(value or "").lower()[:2]
    if text == "fr":
        return "fr"
    if text == "en":
        return "en"
    return None


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError as exc:
        raise UnreadableDocument(f"invalid date {value!r} (expected YYYY-MM-DD)") from exc
