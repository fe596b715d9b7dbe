"""Splitting a Post into Discord-sized messages: every limit, never mid-word, in order."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetbot.errors import PublishError
from meetbot.publishers.discord_limits import Embed, Limits, Message, check, split, split_text
from reports.post import Attachment, Audience, Field, Post

WORD = st.text(alphabet="abcdefghij", min_size=1, max_size=12)
LINE = st.lists(WORD, min_size=1, max_size=30).map(" ".join)
PARAGRAPH = st.lists(LINE, min_size=1, max_size=8).map("\n".join)
BODY = st.lists(PARAGRAPH, min_size=0, max_size=40).map("\n\n".join)


def words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def test_short_post_is_one_message_with_one_embed() -> None:
    post = Post(Audience.PUBLIC, "Recap", "All here.", (Field("Attendance", "20 of 22"),), "thanks")
    (message,) = split(post)
    (embed,) = message.embeds
    assert embed == Embed("Recap", "All here.", (Field("Attendance", "20 of 22"),), "thanks")


def test_long_body_splits_at_paragraphs_with_numbered_titles() -> None:
    paragraphs = [f"Paragraph {i} " + "word " * 150 for i in range(30)]  # ~760 chars each
    post = Post(Audience.PUBLIC, "Weekly recap", "\n\n".join(paragraphs), footer="meetbot")
    messages = split(post)
    embeds = [e for m in messages for e in m.embeds]
    n = len(embeds)
    assert n > 1
    assert [e.title for e in embeds] == [f"Weekly recap ({i}/{n})" for i in range(1, n + 1)]
    # Every paragraph lands whole in exactly one embed, in order.
    joined = [p.strip() for e in embeds for p in e.description.split("\n\n")]
    assert joined == [p.strip() for p in paragraphs]
    assert [e.footer for e in embeds] == [""] * (n - 1) + ["meetbot"]
    assert all(sum(e.size for e in m.embeds) <= 6000 for m in messages)


def test_a_paragraph_longer_than_the_limit_splits_at_words() -> None:
    text = " ".join(f"w{i}" for i in range(3000))
    pieces = list(split_text(text, 100))
    assert all(len(p) <= 100 for p in pieces)
    assert words(" ".join(pieces)) == words(text)


def test_only_a_word_longer_than_the_limit_is_cut() -> None:
    url = "https://example.org/" + "x" * 250
    pieces = list(split_text(f"see {url} now", 100))
    assert pieces == ["see", url[:100], url[100:200], url[200:] + " now"]


def test_many_fields_spill_into_continuation_embeds() -> None:
    fields = tuple(Field(f"Member {i}", "present, 2 turns", inline=True) for i in range(60))
    (message,) = split(Post(Audience.LEADS, "Compare", "", fields))
    assert [len(e.fields) for e in message.embeds] == [25, 25, 10]
    assert [f for e in message.embeds for f in e.fields] == list(fields)


def test_a_long_field_value_continues_in_a_field_of_the_same_name() -> None:
    value = "\n".join(f"line {i} of the highlights" for i in range(100))
    (message,) = split(Post(Audience.PUBLIC, "Recap", "", (Field("Highlights", value),)))
    fields = [f for e in message.embeds for f in e.fields]
    assert fields[0].name == "Highlights"
    assert {f.name for f in fields[1:]} == {"Highlights (cont.)"}
    assert all(len(f.value) <= 1024 for f in fields)
    assert "\n".join(f.value for f in fields) == value


def test_empty_field_value_becomes_visible_placeholder() -> None:
    (message,) = split(Post(Audience.PUBLIC, "Recap", "", (Field("Notes", ""),)))
    assert message.embeds[0].fields == (Field("Notes", "\u200b"),)


def test_overlong_title_and_footer_shorten_at_a_word_with_ellipsis() -> None:
    title = "Recap " + "of the chapter " * 40
    footer = "note " * 600
    (message,) = split(Post(Audience.PUBLIC, title, "body", footer=footer))
    embed = message.embeds[0]
    assert len(embed.title) <= 256
    assert embed.title.endswith("chapter…")
    assert len(embed.footer) <= 2048
    assert embed.footer.endswith("note…")


def test_more_than_ten_embeds_go_to_more_messages() -> None:
    fields = tuple(Field(f"F{i}", "v") for i in range(25 * 12))
    messages = split(Post(Audience.LEADS, "Big", "", fields))
    assert [len(m.embeds) for m in messages] == [10, 2]


def test_files_ride_on_the_last_message_and_oversized_ones_are_named() -> None:
    small = Attachment("chart.png", b"\x89PNG" + b"0" * 100)
    huge = Attachment("huge.png", b"0" * 2048)
    limits = Limits(file_size=1024)
    messages = split(Post(Audience.LEADS, "Compare", "text", attachments=(small, huge)), limits)
    assert messages[-1].attachments == (small,)
    assert "huge.png left out" in messages[-1].embeds[-1].description


def test_files_beyond_the_per_message_size_split_into_another_message() -> None:
    files = tuple(Attachment(f"c{i}.png", b"0" * 600) for i in range(3))
    messages = split(
        Post(Audience.LEADS, "Compare", "text", attachments=files), Limits(file_size=1024)
    )
    assert [m.attachments for m in messages] == [files[:1], files[1:2], files[2:]]


@pytest.mark.parametrize(
    ("message", "complaint"),
    [
        (Message(content="x" * 2001), "content is 2001 characters"),
        (Message(embeds=(Embed("t" * 257),)), "title is 257"),
        (Message(embeds=(Embed("t", "d" * 4097),)), "description is 4097"),
        (Message(embeds=(Embed("t", fields=(Field("n", "v"),) * 26),)), "fields is 26"),
        (Message(embeds=(Embed("t", fields=(Field("n" * 257, "v"),)),)), "field name is 257"),
        (Message(embeds=(Embed("t", fields=(Field("n", "v" * 1025),)),)), "field value is 1025"),
        (Message(embeds=(Embed("t", footer="f" * 2049),)), "footer is 2049"),
        (Message(embeds=(Embed("t", "d" * 4000), Embed("t", "d" * 2000))), "total 6002"),
        (Message(embeds=(Embed("t"),) * 11), "11 embeds"),
        (Message(), "empty"),
    ],
)
def test_check_names_the_broken_limit(message: Message, complaint: str) -> None:
    with pytest.raises(PublishError, match=complaint):
        check(message)


@settings(max_examples=60, deadline=None)
@given(body=BODY, n_fields=st.integers(0, 40), title=st.text(min_size=1, max_size=400))
def test_any_post_splits_into_valid_messages_keeping_every_word(
    body: str, n_fields: int, title: str
) -> None:
    fields = tuple(Field(f"f{i}", f"value {i} " * (i * 7 % 200 + 1)) for i in range(n_fields))
    messages = split(Post(Audience.PUBLIC, title, body, fields))
    for m in messages:
        check(m)  # raises on any broken limit
    described = " ".join(e.description for m in messages for e in m.embeds)
    assert words(described) == words(body)
    assert [
        f.name for m in messages for e in m.embeds for f in e.fields if "(cont.)" not in f.name
    ] == [f.name for f in fields]
