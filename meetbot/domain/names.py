"""Display names as people type them, matched against the chapter roster.

Meeting display names carry decoration: "Chloe Martin 🌟", "Zoe Li | Acme Ltd", "Bob (phone)",
"CHLOÉ MARTIN". Matching compares a normalised key (accents, case, emoji and the company part
removed), against each roster name and alias normalised the same way. A key that fits more than
one person matches nobody: identity is never guessed.

A substitute often says so in their name; `substitute_for` reads these hints (case, accents and
spacing do not matter), and `Roster.substituted` matches the member they name like any display
name (a first name alone when exactly one member has it; anyone else leaves them a visitor):

- in brackets: "Pat Sub (sub for Chris Lee)", "(sub Chris)", "[sub: Chris]", "(substitute for
  Chris)", "(subbing for Chris)", "(standing in for Chris)", "(stand-in for Chris)",
  "(for Chris Lee)", "(Chris Lee's sub)";
- after a separator (" - ", " | ", " / ", " – ", a comma): "Pat - sub Chris", "Pat, standing in
  for Chris", "Pat | Chris's sub";
- at the end, with "for": "Pat Sub sub for Chris Lee", "Pat standing in for Chris";
- as the whole name: "sub for Chris Lee", "Chris Lee's sub".

A bare "Pat Sub" or "Sub Zero Ltd" is a name, not a hint: the hint must name someone.
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
_SUB_WORD = r"(?:sub(?:stitute|bing)?|standing\s+in|stand-?in)"
# One bracket's or separated part's whole text: "sub for X", "sub: X", "sub X", "for X", "X's sub".
_SUB_PART = re.compile(
    rf"(?:{_SUB_WORD}(?:\s+for\s+|\s*:\s*|\s+)|for\s+)(?P<member>\S.*?)"
    rf"|(?P<owner>\S.*?)['’]s\s+(?:sub(?:stitute)?|stand-?in)",
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"[(\[{](?P<inside>[^()\[\]{}]*)[)\]}]")
_SEPARATOR = re.compile(r"\s+[|/·•–—-]\s+|\s*[|,]\s*")
# Unbracketed, the word "for" is required: "Pat Sub sub for Chris", "standing in for Chris".
_SUB_TAIL = re.compile(rf"(?:^|\s){_SUB_WORD}\s+for\s+(?P<member>\S.*?)\s*$", re.IGNORECASE)
_OWNER_WHOLE = re.compile(r"(?P<owner>\S.*?)['’]s\s+(?:sub(?:stitute)?|stand-?in)", re.I)


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
    hint = _hint(unicodedata.normalize("NFC", display_name))
    return hint[1] if hint is not None else None


def _hint(text: str) -> tuple[int, str] | None:
    """Where the substitute hint starts in `text`, and the member it names (module docstring)."""
    for bracket in _BRACKETED.finditer(text):
        member = _part_names(bracket.group("inside"))
        if member:
            return bracket.start(), member
    cuts = list(_SEPARATOR.finditer(text))
    for i, here in enumerate(cuts):
        part = text[here.end() : cuts[i + 1].start() if i + 1 < len(cuts) else len(text)]
        member = _part_names(_BRACKETED.sub(" ", part))
        if member:
            return here.start(), member
    tail = _SUB_TAIL.search(text)
    if tail is not None:
        return tail.start(), " ".join(tail.group("member").split())
    whole = _OWNER_WHOLE.fullmatch(text.strip())
    if whole is not None:
        return 0, " ".join(whole.group("owner").split())
    return None


def _part_names(part: str) -> str | None:
    """The member one bracket's or separated part names, when the whole part is a hint."""
    found = _SUB_PART.fullmatch(part.strip())
    if found is None:
        return None
    return " ".join((found.group("member") or found.group("owner") or "").split()) or None


def _strip_hint(text: str) -> str:
    hint = _hint(text)
    return text[: hint[0]] if hint is not None and hint[0] > 0 else text


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
