"""Display names as people type them, matched against the chapter roster.

Meeting display names carry decoration: "Chloe Martin 🌟", "Zoe Li | Acme Ltd", "Bob (phone)",
"CHLOÉ MARTIN". Matching compares a normalised key (accents, case, emoji and the company part
removed), against each roster name and alias normalised the same way. A key that fits more than
one person matches nobody: identity is never guessed.

A substitute often says so in their name ("Sam Jones (sub for Bob Nguyen)"); `substitute_for`
reads that hint.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import TypeVar

from meetbot.domain.chapter import Chapter, Member

# "Name | Company", "Name - Company", "Name – Company", "Name / Company", "Name · Company"
K = TypeVar("K", str, frozenset[str])

_COMPANY_SEP = re.compile(r"\s+[|/·•–—-]\s+|\s*\|\s*")
# "Bob Nguyen's iPhone": the device names phones and tablets give themselves.
_DEVICE = re.compile(
    r"\s*['’]s\s+(?:iphone|ipad|android|galaxy|pixel|phone|tablet|laptop|macbook|mac|pc)\b.*$",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\s*[(\[{][^)\]}]*[)\]}]\s*")
_SUB_HINT = re.compile(
    r"[(\[{]?\s*\b(?:sub|substitute|subbing|standing in|stand-in)\b\s*(?:for|:)?\s*"
    r"(?P<member>[^)\]}|]+?)\s*[)\]}]?\s*$",
    re.IGNORECASE,
)


def clean(display_name: str) -> str:
    """The person's name as shown to people: decoration and company removed, case kept."""
    text = unicodedata.normalize("NFC", display_name)
    text = _strip_hint(text)
    text = _DEVICE.sub("", _BRACKETS.sub(" ", text))
    text = _COMPANY_SEP.split(text, maxsplit=1)[0]
    # Keep letters, digits, marks (accents), spaces and the punctuation names use.
    kept = "".join(ch for ch in text if ch in "’." or _name_char(ch))
    return " ".join(kept.replace("’", "'").split()).strip(" -.")


def key(display_name: str) -> str:
    """A comparison key: `clean`, then case folded, accents and dots removed."""
    text = unicodedata.normalize("NFKD", clean(display_name))
    # Casefold between two decompositions: each can produce what the other would change.
    text = unicodedata.normalize("NFKD", text.casefold().replace(".", " "))
    bare = "".join(ch for ch in text if not unicodedata.combining(ch) and _name_char(ch))
    return " ".join(bare.split()).strip(" -'")


def with_opt_outs(chapter: Chapter, opted_out: Collection[str]) -> Chapter:
    """The chapter with every roster member named in `opted_out` marked as opted out.

    Opt-outs recorded outside the chapter file (e.g. `/meetbot optout`) join the roster here,
    before a session is judged against it.
    """
    keys = {key(n) for n in opted_out}
    if not keys:
        return chapter
    roster = tuple(
        dataclasses.replace(m, opted_out=True)
        if keys & {key(n) for n in (m.name, *m.aliases)}
        else m
        for m in chapter.roster
    )
    return dataclasses.replace(chapter, roster=roster)


def _name_char(ch: str) -> bool:
    """Letters, digits, accents, spaces and the punctuation names use; never emoji."""
    return ch in " '-" or ch.isspace() or unicodedata.category(ch)[0] in ("L", "M", "N")


def substitute_for(display_name: str) -> str | None:
    """The member a display name says it stands in for ("Sam (sub for Bob)" → "Bob")."""
    match = _SUB_HINT.search(unicodedata.normalize("NFC", display_name))
    if match is None:
        return None
    return match.group("member").strip() or None


def _strip_hint(text: str) -> str:
    match = _SUB_HINT.search(text)
    return text[: match.start()] if match is not None and match.start() > 0 else text


@dataclass(frozen=True, slots=True)
class Roster:
    """The chapter's names and aliases indexed by key, built once per assembly."""

    by_key: dict[str, Member]
    by_tokens: dict[frozenset[str], Member]
    substitutes: dict[str, Member]

    @classmethod
    def of(cls, chapter: Chapter) -> Roster:
        by_key: dict[str, Member | None] = {}
        by_tokens: dict[frozenset[str], Member | None] = {}
        subs: dict[str, Member | None] = {}
        for member in chapter.roster:
            for name in (member.name, *member.aliases):
                _put(by_key, key(name), member)
                _put(by_tokens, frozenset(key(name).split()), member)
            for name in member.substitutes:
                _put(subs, key(name), member)
        return cls(_unique(by_key), _unique(by_tokens), _unique(subs))

    def match(self, display_name: str) -> Member | None:
        """The roster member this display name belongs to, or None when not sure."""
        k = key(display_name)
        if not k:
            return None
        if k in self.by_key:
            return self.by_key[k]
        # "Nguyen Bob" for "Bob Nguyen": same words, other order.
        return self.by_tokens.get(frozenset(k.split()))

    def substituted(self, display_name: str) -> Member | None:
        """The member this display name stands in for: the roster's list, else the name's hint."""
        k = key(display_name)
        if k in self.substitutes:
            return self.substitutes[k]
        hint = substitute_for(display_name)
        if hint is None:
            return None
        member = self.match(hint)
        if member is not None:
            return member
        # A first name alone ("sub for Bob") is enough when exactly one member has it.
        first = [m for m in self.by_key.values() if key(m.name).split()[:1] == key(hint).split()]
        distinct = {m.name: m for m in first}
        return next(iter(distinct.values())) if len(distinct) == 1 else None


def _put(index: dict[K, Member | None], k: K, member: Member) -> None:
    if not k:
        return
    known = index.get(k, member)
    # Two people under one key: remember the clash so neither is matched by it.
    index[k] = member if known is not None and known.name == member.name else None


def _unique(index: dict[K, Member | None]) -> dict[K, Member]:
    return {k: m for k, m in index.items() if m is not None}
