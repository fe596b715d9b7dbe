"""Display names as people type them, matched to the roster without guessing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetbot.domain import names
from meetbot.domain.chapter import Chapter, Member


@pytest.mark.parametrize(
    ("display", "clean", "key"),
    [
        ("Zoe Li | Acme Ltd", "Zoe Li", "zoe li"),
        ("Zoe Li|Acme", "Zoe Li", "zoe li"),
        ("Zoe Li - Acme Ltd", "Zoe Li", "zoe li"),
        ("Zoe Li (Acme Ltd)", "Zoe Li", "zoe li"),
        ("Zoe Li [iPad]", "Zoe Li", "zoe li"),
        ("Chloé Martin 🌟", "Chloé Martin", "chloe martin"),
        ("  CHLOE   MARTIN ", "CHLOE MARTIN", "chloe martin"),
        ("🚀 Bob Nguyen 🚀", "Bob Nguyen", "bob nguyen"),
        ("Anne-Marie O’Neil — Acme", "Anne-Marie O'Neil", "anne-marie o'neil"),
        ("Dr. J. Smith", "Dr. J. Smith", "dr j smith"),
        ("Sam Jones (sub for Bob Nguyen)", "Sam Jones", "sam jones"),
        ("Pat Sub (sub for Chris Lee)", "Pat Sub", "pat sub"),  # "Sub" is her name
        ("Pat Sub sub for Chris Lee", "Pat Sub", "pat sub"),
        ("Pat Sub | Acme", "Pat Sub", "pat sub"),
        ("Pat (Chris Lee's sub)", "Pat", "pat"),
        ("Søren Kierkegaard", "Søren Kierkegaard", "søren kierkegaard"),
        ("李雷", "李雷", "李雷"),
        ("🌟", "", ""),
        ("Bob Nguyen's iPhone", "Bob Nguyen", "bob nguyen"),
        ("Bob Nguyen’s Galaxy S21 (2)", "Bob Nguyen", "bob nguyen"),
        ("Paul's Pizza | Paul Smith", "Paul's Pizza", "paul's pizza"),
    ],
)
def test_clean_and_key(display: str, clean: str, key: str) -> None:
    assert names.clean(display) == clean
    assert names.key(display) == key


@pytest.mark.parametrize(
    ("display", "member"),
    [
        ("Sam Jones (sub for Bob Nguyen)", "Bob Nguyen"),
        ("Sam Jones - substitute for Bob", "Bob"),
        ("Sam Jones [sub: Bob]", "Bob"),
        ("Sam Jones, standing in for Chloé", "Chloé"),
        ("Submarine Sam", None),
        ("Sam Jones", None),
        # The patterns of the module docstring, each as people type it.
        ("Pat Sub (sub for Chris)", "Chris"),
        ("Pat Sub [Sub For  Chris Lee]", "Chris Lee"),
        ("Pat (subbing for Chris Lee)", "Chris Lee"),
        ("Pat (stand-in for Chris)", "Chris"),
        ("Pat (for Chris Lee)", "Chris Lee"),
        ("Pat (Chris Lee’s sub)", "Chris Lee"),
        ("Pat - sub Chris", "Chris"),
        ("Pat | Chris's substitute", "Chris"),
        ("Pat Sub (sub for Chris) | Acme", "Chris"),
        ("Pat Sub sub for Chris Lee", "Chris Lee"),
        ("Pat standing in for Chris", "Chris"),
        ("sub for Chris Lee", "Chris Lee"),
        ("Chris Lee's sub", "Chris Lee"),
        # Names, not hints: a hint must name someone.
        ("Pat Sub", None),
        ("Pat Sub | Acme", None),
        ("Sub Zero Ltd", None),
        ("Pat (Subway)", None),
        ("Pat (sub)", None),
        ("Ann (here for Chris)", None),
        ("Bob Nguyen's iPhone", None),
    ],
)
def test_substitute_hint(display: str, member: str | None) -> None:
    assert names.substitute_for(display) == member


ROSTER = names.Roster.of(
    Chapter(
        "c",
        roster=(
            Member("Bob Nguyen", aliases=("Bobby N",), substitutes=("Pat Lee",)),
            Member("Chloé Martin"),
            Member("Chloe Martin-Smith"),
            Member("Dan Ray", aliases=("DR",)),
            Member("Dana Ray", aliases=("dr.",)),  # normalises to the same key as Dan's alias
        ),
    )
)


@pytest.mark.parametrize(
    ("display", "person"),
    [
        ("bob nguyen", "Bob Nguyen"),
        ("Nguyen Bob", "Bob Nguyen"),
        ("BOBBY N | Nguyen Plumbing", "Bob Nguyen"),
        ("chloe martin 📈", "Chloé Martin"),
        ("Chloé Martin-Smith (Acme)", "Chloe Martin-Smith"),
        ("Bob", None),  # a first name alone could be anyone
        ("DR", None),  # two people claim this key: nobody is matched
        ("", None),
    ],
)
def test_match(display: str, person: str | None) -> None:
    member = ROSTER.match(display)
    assert (member.name if member else None) == person


@pytest.mark.parametrize(
    ("display", "person"),
    [
        ("Pat Lee | Lee Legal", "Bob Nguyen"),  # listed under Bob's substitutes
        ("Kim (sub for Chloé Martin)", "Chloé Martin"),
        ("Kim (sub for Bob)", "Bob Nguyen"),  # one Bob on the roster
        ("Kim (sub for Chloe)", None),  # two Chloes: not sure
        ("Kim (sub for Nobody)", None),
        ("Kim", None),
        ("Pat Sub (sub for Bob)", "Bob Nguyen"),  # was a visitor: "Sub" read as the hint
        ("Pat Sub (sub for BOB  NGUYÉN)", "Bob Nguyen"),
        ("Pat (for Chloé Martin-Smith)", "Chloe Martin-Smith"),
        ("Pat - sub Dan Ray", "Dan Ray"),
        ("Bob Nguyen's sub", "Bob Nguyen"),
        ("Pat (Bobby N's substitute)", "Bob Nguyen"),  # an alias names him too
        ("Pat Sub sub for bob nguyen", "Bob Nguyen"),
        ("Pat Sub (sub for Zed Unknown)", None),  # not on the roster: a visitor
    ],
)
def test_substituted(display: str, person: str | None) -> None:
    member = ROSTER.substituted(display)
    assert (member.name if member else None) == person


@given(st.text(max_size=40))
def test_key_is_idempotent_and_case_blind(text: str) -> None:
    k = names.key(text)
    assert names.key(k) == k
    assert names.key(text.upper()) == names.key(text.lower()) or not k.isascii()
