"""Render a Reply as plain text, for the console (the chat bots render the same model)."""

from __future__ import annotations

from collections.abc import Callable

from core.compose import demo_label
from core.models import Reply, Source
from core.text import split_sentences


def render_text(reply: Reply) -> str:
    parts = [reply.banner, reply.text] if reply.banner else [reply.text]
    if reply.notices:
        parts.append("\n".join(f"ℹ {n}" for n in reply.notices))
    if reply.sources:
        lines = ["Sources :" if reply.language == "fr" else "Sources:"]
        lines += [_source(s, reply) for s in reply.sources]
        parts.append("\n".join(lines))
    parts.append(f"⚠ {reply.disclaimer.text}")
    return "\n\n".join(parts)


def _source(source: Source, reply: Reply) -> str:
    line = _heading(source, source.title, str)
    details = [source.url] if source.url else []
    if source.is_demo:
        details.append(f"({demo_label(reply.language)})")
    if details:
        line += "\n    " + " ".join(details)
    return line


def chunks(text: str, size: int) -> list[str]:
    """Pieces of at most `size` characters, cut between sentences (or lines) when possible."""
    pieces: list[str] = []
    current = ""
    for unit in _units(text):
        if current and len(current) + len(unit) > size:
            pieces.append(current)
            current = ""
        current += unit
        while len(current) > size:  # one sentence longer than a section: cut it hard
            pieces.append(current[:size])
            current = current[size:]
    pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def _units(text: str) -> list[str]:
    units: list[str] = []
    for line in text.split("\n"):
        sentences = split_sentences(line) or [""]
        units += [s + " " for s in sentences[:-1]] + [sentences[-1] + "\n"]
    return units


def source_line(
    source: Source,
    reply: Reply,
    escape: Callable[[str], str],
    link: Callable[[str, str], str],
    emphasis: Callable[[str], str],
) -> str:
    """'[n] title — headline — publisher — date · § section' in a chat markup: `escape` for
    corpus text, `link(url, escaped title)` for http(s) sources, `emphasis` for the demo label."""
    title = escape(source.title)
    if source.url and source.url.startswith(("https://", "http://")):
        title = link(source.url, title)
    line = _heading(source, title, escape)
    if source.is_demo:
        line += " " + emphasis(escape(f"({demo_label(reply.language)})"))
    return line


def _heading(source: Source, title: str, escape: Callable[[str], str]) -> str:
    """'[n] title — headline — publisher — date · § section': the title as given (escaped or
    linked by the caller), the other texts through `escape`."""
    facts = [title, *(escape(text) for text in (source.headline, source.publisher) if text)]
    if source.published:
        facts.append(source.published.isoformat())
    line = f"[{source.number}] " + " — ".join(facts)
    if source.section:
        line += f" · § {escape(source.section)}"
    return line
