"""Matrix events -> questions and feedback, and replies -> message contents (pure functions)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from bots.matrix import render
from bots.matrix.events import BotIdentity, feedback_from, question_from
from core.models import Disclaimer, Outcome, Reply, Source

BOT = BotIdentity("@medgpt:hopital.fr", "MedGPT")


def message(body: str, **content: Any) -> dict[str, Any]:
    return {
        "type": "m.room.message",
        "event_id": "$q1",
        "sender": "@dr.martin:hopital.fr",
        "content": {"msgtype": "m.text", "body": body, **content},
    }


def test_intentional_mention_is_a_question_without_the_mention() -> None:
    """A client that sends m.mentions is trusted: the bot is mentioned, its name is removed."""
    event = message("MedGPT: dose de colchicine ?", **{"m.mentions": {"user_ids": [BOT.user_id]}})
    question = question_from(event, "!r", BOT, is_dm=False)
    assert question is not None
    assert question.mentioned
    assert question.text == "dose de colchicine ?"
    assert question.thread_root == "$q1"


def test_mentions_of_someone_else_do_not_summon_the_bot() -> None:
    """m.mentions present without the bot: not for it, even if its name appears in the text."""
    event = message("demande à MedGPT", **{"m.mentions": {"user_ids": ["@dr.durand:hopital.fr"]}})
    question = question_from(event, "!r", BOT, is_dm=False)
    assert question is not None
    assert not question.mentioned


@pytest.mark.parametrize(
    "body", ["medgpt, dose de colchicine ?", "@medgpt:hopital.fr dose de colchicine ?"]
)
def test_legacy_clients_mention_by_name_or_user_id(body: str) -> None:
    """Clients without m.mentions: the display name or the user id in the text."""
    question = question_from(message(body), "!r", BOT, is_dm=False)
    assert question is not None
    assert question.mentioned
    assert question.text == "dose de colchicine ?"


def test_a_word_containing_the_name_is_not_a_mention() -> None:
    """'medgptique' is not 'MedGPT'."""
    question = question_from(message("le logiciel medgptique"), "!r", BOT, is_dm=False)
    assert question is not None
    assert not question.mentioned


def test_a_mention_alone_asks_nothing() -> None:
    """'MedGPT:' with nothing after it is not a question: no 'nothing found' reply to it."""
    event = message("MedGPT: ", **{"m.mentions": {"user_ids": [BOT.user_id]}})
    assert question_from(event, "!r", BOT, is_dm=True) is None


@pytest.mark.parametrize(
    "event",
    [
        message("x", msgtype="m.notice"),  # another bot
        {**message("x"), "sender": BOT.user_id},  # itself
        message("* x", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$q0"}}),
        {**message("x"), "type": "m.sticker"},
    ],
)
def test_edits_notices_own_events_and_other_types_are_ignored(event: dict[str, Any]) -> None:
    """The bot never answers itself, another bot, or an edit of a question already answered."""
    assert question_from(event, "!r", BOT, is_dm=True) is None


def test_thread_and_reply_fallback() -> None:
    """A message in a thread belongs to its root; a quoted reply fallback is not the question."""
    relation = {"rel_type": "m.thread", "event_id": "$root"}
    body = "> <@dr.durand:hopital.fr> earlier words\n\nEt chez l'enfant ?"
    question = question_from(message(body, **{"m.relates_to": relation}), "!r", BOT, is_dm=False)
    assert question is not None
    assert question.in_thread
    assert question.conversation_id == "!r:$root"
    assert question.text == "Et chez l'enfant ?"


@pytest.mark.parametrize(
    ("key", "value"), [("👍", "up"), ("👍️", "up"), ("👍🏾", "up"), ("👎", "down"), ("🎉", None)]
)
def test_reactions_become_feedback(key: str, value: str | None) -> None:
    """Thumbs up or down, whatever the client adds to them; other emoji are not feedback."""
    event = {
        "type": "m.reaction",
        "sender": "@dr.martin:hopital.fr",
        "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$a", "key": key}},
    }
    assert feedback_from(event, BOT.user_id) == (("$a", value) if value else None)


def reply(text: str, title: str = "Colchicine", url: str = "https://example.org/a?b&c") -> Reply:
    source = Source(1, 1, 1, title, "HAS", date(2024, 1, 15), "Posologie", url, "h", False)
    return Reply(
        Outcome.ANSWERED, "fr", text, Disclaimer("Ne remplace pas un avis.", "d1"), (source,)
    )


def test_reply_is_escaped_html_with_numbered_sources_and_no_pings() -> None:
    """Markup in model or corpus text arrives as text; links only where we put them."""
    [content] = render.reply_contents(
        reply("<b>gras</b> & @room [1]", title='<img src=x onerror="alert(1)">')
    )
    html = content["formatted_body"]
    assert "&lt;b&gt;gras&lt;/b&gt; &amp; @room [1]" in html
    assert "<img" not in html
    assert '<a href="https://example.org/a?b&amp;c">&lt;img' in html
    assert "<strong>Sources</strong><br>[1] " in html
    assert "<em>⚠️ Ne remplace pas un avis.</em>" in html
    assert content["m.mentions"] == {}
    assert content["body"].startswith("<b>gras</b> & @room [1]")  # plain body: raw text is fine
    assert "Ne remplace pas un avis." in content["body"]


def test_non_http_links_are_not_linked() -> None:
    """A javascript: or mxc: URL in a source's metadata never becomes a link."""
    [content] = render.reply_contents(reply("x [1]", url="javascript:alert(1)"))
    assert "<a " not in content["formatted_body"]


def test_long_answers_are_split_into_events_under_64_kib_even_as_edits() -> None:
    """A very long answer (full of characters that grow when escaped) becomes several
    messages, each under the limit when sent as an edit; nothing is lost."""
    sentence = "Les « AINS » & <les> anticoagulants : prudence extrême é à ç. "
    text = sentence * 4000  # ~250 kB of text
    contents = render.reply_contents(reply(text))
    assert len(contents) > 1
    assert all(render.edit_size(c) <= 65_536 for c in contents)
    assert "Ne remplace pas un avis." in contents[-1]["body"]
    assert sum(c["body"].count("prudence") for c in contents) == 4000


def test_edit_and_thread_relations() -> None:
    """An edit carries m.new_content; a reply sits in the thread with a reply fallback."""
    content = render.notice("Recherche…")
    threaded = render.in_thread(content, "$root", "$q")
    assert threaded["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$q"},
    }
    edit = render.edit(content, "$placeholder")
    assert edit["m.new_content"] == content
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$placeholder"}
    assert edit["body"] == "* Recherche…"
    json.dumps(edit)  # serialisable as sent
