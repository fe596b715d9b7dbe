"""What a reader of an HTML report sees: its text and its pictures' text alternatives."""

from __future__ import annotations

from html.parser import HTMLParser


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.extend(value or "" for name, value in attrs if name == "alt")


def visible(page: str) -> str:
    """The page's text nodes and alt texts, one per line (entities decoded)."""
    parser = _Visible()
    parser.feed(page)
    return "\n".join(parser.parts)
