"""A Reply as Slack Block Kit blocks and a plain-text fallback (pure).

Model and corpus text is escaped (&, <, >) so it can never become a mention, a channel ping or
a link it was not meant to be; Slack's limits (3,000 characters a section, 50 blocks, about
12,000 characters of blocks in all) are respected by splitting at sentence boundaries.
"""

from __future__ import annotations

from typing import Any

from bots.conversation import TEXTS
from bots.render_text import chunks, render_text, source_line
from core.models import Language, Outcome, Reply, Source

SECTION_CHARS = 3000
MAX_BLOCKS = 50
MAX_BLOCK_CHARS = 12_000
MAX_FALLBACK_CHARS = 3_000  # notifications show little; the blocks carry the whole reply

Block = dict[str, Any]
FEEDBACK = (("feedback_up", "👍"), ("feedback_down", "👎"))
_REPORT = {"fr": "Signaler un problème", "en": "Report a problem"}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def blocks_for(reply: Reply) -> tuple[list[Block], str]:
    """(blocks, fallback text) for the final answer."""
    answer = [_section(chunk) for chunk in chunks(escape(reply.text), SECTION_CHARS)]
    blocks = _fit([*answer, *_notices(reply)], _tail(reply), _banner(reply))
    fallback = escape(render_text(reply))
    if len(fallback) > MAX_FALLBACK_CHARS:
        fallback = fallback[: MAX_FALLBACK_CHARS - 1] + "…"
    return blocks, fallback


def stream_blocks(reply: Reply) -> list[Block]:
    """What closes a streamed answer, under the text streamed: notices, sources, disclaimer."""
    return _fit(_notices(reply), _tail(reply))


_MARKDOWN = {"&": "&amp;", "<": "&lt;", ">": "&gt;"} | {c: "\\" + c for c in "\\`*_[]~|"}


def markdown_escape(text: str) -> str:
    """Model and corpus text as literal text in standard Markdown (the streaming API's
    `markdown_text`): no link, image, emphasis, code or Slack mention can come out of it.
    Character by character, so the escape of a stream's pieces is the escape of the whole."""
    return "".join(_MARKDOWN.get(c, c) for c in text)


def progress_text(words: int, language: Language) -> str:
    """Progress without the draft itself: unverified model text never reaches a clinician."""
    return TEXTS["writing"][language].format(words=words)


def _banner(reply: Reply) -> list[Block]:
    """The emergency banner, first and never trimmed."""
    return [_section(f"*{escape(reply.banner)}*")] if reply.banner else []


def _notices(reply: Reply) -> list[Block]:
    return [_context(escape(n), "ℹ️") for n in reply.notices]


def _tail(reply: Reply) -> list[Block]:
    """Sources, disclaimer and feedback buttons: never trimmed."""
    sources = [_section(chunk) for chunk in chunks(_sources(reply), SECTION_CHARS)]
    tail = [*sources, _context(escape(reply.disclaimer.text), "⚠️")]
    if reply.audit_id is not None and reply.outcome in (Outcome.ANSWERED, Outcome.ABSTAINED):
        tail.append(_feedback(reply))
    return tail


def _sources(reply: Reply) -> str:
    if not reply.sources:
        return ""
    lines = ["*Sources*"] + [_source(s, reply) for s in reply.sources]
    return "\n".join(lines)


def _source(source: Source, reply: Reply) -> str:
    return source_line(source, reply, escape, _link, lambda text: f"_{text}_")


def _link(url: str, title: str) -> str:
    # Inside <url|label>, '|' and '>' would end the link early: escape them too.
    return f"<{escape(url).replace('|', '%7C')}|{title.replace('|', '¦')}>"


def _fit(head: list[Block], tail: list[Block], lead: list[Block] | None = None) -> list[Block]:
    """Keep the lead (the emergency banner) and the tail (sources, disclaimer, buttons) whole;
    trim the answer between them to fit the limits."""
    lead = lead or []
    budget_blocks = MAX_BLOCKS - len(tail) - len(lead)
    budget_chars = MAX_BLOCK_CHARS - sum(_size(b) for b in (*lead, *tail))
    kept: list[Block] = []
    for block in head:
        if len(kept) + 1 >= budget_blocks or _size(block) > budget_chars - 20:
            kept.append(_section("…"))
            break
        kept.append(block)
        budget_chars -= _size(block)
    return [*lead, *kept, *tail]


def _size(block: Block) -> int:
    return len(str(block))


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str, icon: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{icon} {text}"}]}


def _feedback(reply: Reply) -> Block:
    value = f"{reply.audit_id}:{reply.language}"  # the answer, and the language to thank in
    labels = [*FEEDBACK, ("feedback_report", _REPORT[reply.language])]
    buttons = [
        {"type": "button", "action_id": action, "value": value, "text": _plain(label)}
        for action, label in labels
    ]
    return {"type": "actions", "block_id": f"feedback:{reply.audit_id}", "elements": buttons}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}
