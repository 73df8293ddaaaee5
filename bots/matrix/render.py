"""A Reply as Matrix message contents: HTML (`formatted_body`) and a readable plain `body` (pure).

Corpus and model text is HTML-escaped and only our own tags are emitted (p, br, a, strong, em),
all in the spec's allow-list, so nothing in a source can inject markup. Every content carries
`m.mentions: {}`: model text can never ping anyone. Events must stay under 64 KiB; a long answer
is split into several messages, and an edit counts twice (the fallback and `m.new_content`).
"""

from __future__ import annotations

import html
import json
from dataclasses import replace
from typing import Any

from bots.conversation import TEXTS
from bots.render_text import chunks, render_text, source_line
from core.models import Language, Reply, Source

Content = dict[str, Any]
HTML = "org.matrix.custom.html"
MAX_EVENT_BYTES = 60_000  # the spec's 65,536 less room for the envelope the server adds
_FIRST_TRY_CHARS = 12_000

_CONTINUED = {"fr": "(suite)", "en": "(continued)"}


def notice(text: str) -> Content:
    """A plain notice (progress, refusals, apologies)."""
    return {
        "msgtype": "m.notice",
        "body": text,
        "format": HTML,
        "formatted_body": _paragraphs(text),
        "m.mentions": {},
    }


def working(language: Language) -> Content:
    return notice(TEXTS["working"][language])


def progress(words: int, language: Language) -> Content:
    """Progress without the draft itself: unverified model text never reaches a clinician."""
    return notice(TEXTS["writing"][language].format(words=words))


def reply_contents(reply: Reply) -> list[Content]:
    """The final answer as one or more notices, each small enough to be sent as an edit."""
    size = _FIRST_TRY_CHARS
    while True:
        contents = _split(reply, size)
        if all(edit_size(c) <= MAX_EVENT_BYTES for c in contents) or size < 500:
            return contents
        size //= 2


def _split(reply: Reply, size: int) -> list[Content]:
    parts = chunks(reply.text, size) or [""]
    contents = [notice(part) for part in parts[:-1]]
    plain_tail = render_text(replace(reply, banner="")).removeprefix(reply.text).lstrip("\n")
    last = parts[-1]
    contents.append(
        {
            "msgtype": "m.notice",
            "body": f"{last}\n\n{plain_tail}" if last else plain_tail,
            "format": HTML,
            "formatted_body": _paragraphs(last) + _tail_html(reply),
            "m.mentions": {},
        }
    )
    if reply.banner:  # the emergency banner leads the first message
        first = contents[0]
        first["body"] = f"{reply.banner}\n\n{first['body']}"
        banner = f"<p><strong>{_inline(reply.banner)}</strong></p>"
        first["formatted_body"] = banner + first["formatted_body"]
    if len(contents) > 1:
        for content in contents[1:]:
            prefix = _CONTINUED[reply.language]
            content["body"] = f"{prefix} {content['body']}"
            content["formatted_body"] = f"<p><em>{prefix}</em></p>{content['formatted_body']}"
    return contents


def _tail_html(reply: Reply) -> str:
    parts = [f"<p>ℹ️ {_inline(n)}</p>" for n in reply.notices]
    if reply.sources:
        lines = [_source(s, reply) for s in reply.sources]
        parts.append("<p><strong>Sources</strong><br>" + "<br>".join(lines) + "</p>")
    parts.append(f"<p><em>⚠️ {_inline(reply.disclaimer.text)}</em></p>")
    return "".join(parts)


def _source(source: Source, reply: Reply) -> str:
    return source_line(source, reply, html.escape, _link, lambda text: f"<em>{text}</em>")


def _link(url: str, title: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{title}</a>'


def _paragraphs(text: str) -> str:
    blocks = [b for b in text.split("\n\n") if b.strip()]
    return "".join(f"<p>{_inline(b)}</p>" for b in blocks)


def _inline(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.strip().split("\n"))


def in_thread(content: Content, root: str, replying_to: str) -> Content:
    """The content placed in the thread of `root`; clients without threads see a reply."""
    return content | {
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": root,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": replying_to},
        }
    }


def edit(content: Content, target: str) -> Content:
    """An edit of `target` (our placeholder) to `content`; '* ' marks the fallback as an edit."""
    return {
        "msgtype": content["msgtype"],
        "body": f"* {content['body']}",
        "format": HTML,
        "formatted_body": f"* {content['formatted_body']}",
        "m.new_content": content,
        "m.mentions": {},
        "m.relates_to": {"rel_type": "m.replace", "event_id": target},
    }


def edit_size(content: Content) -> int:
    """Bytes of the content sent as an edit (the largest form it takes)."""
    return len(json.dumps(edit(content, "$" + "x" * 60), ensure_ascii=False).encode())
