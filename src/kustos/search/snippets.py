"""Building the HTML snippet of a hit: escape text, wrap matches in <mark>."""

from __future__ import annotations

import html

MARK_OPEN = "<mark>"
MARK_CLOSE = "</mark>"
#: Length of the fallback snippet when nothing in the text matched (e.g. a from: query).
FALLBACK_CHARS = 200


def mark_byte_ranges(text: str, ranges: list[tuple[int, int]]) -> str:
    """``text`` HTML-escaped with the UTF-8 byte ``ranges`` wrapped in <mark>."""
    data = text.encode("utf-8")
    out: list[str] = []
    pos = 0
    for start, end in sorted(ranges):
        if start < pos:
            continue
        out.append(html.escape(data[pos:start].decode("utf-8", "replace")))
        out.append(MARK_OPEN + html.escape(data[start:end].decode("utf-8", "replace")) + MARK_CLOSE)
        pos = end
    out.append(html.escape(data[pos:].decode("utf-8", "replace")))
    return _squash("".join(out))


def mark_sentinels(text: str, start: str, stop: str) -> str:
    """``text`` HTML-escaped, with sentinel-delimited spans turned into <mark> (for ts_headline)."""
    escaped = html.escape(text)
    return _squash(escaped.replace(html.escape(start), MARK_OPEN).replace(html.escape(stop), MARK_CLOSE))


def fallback(text: str) -> str:
    """The escaped beginning of ``text`` when there is nothing to highlight."""
    head = " ".join(text.split())[:FALLBACK_CHARS]
    return html.escape(head)


def _squash(snippet: str) -> str:
    # Mail bodies are full of line breaks and indentation; a snippet reads better as one line.
    return " ".join(snippet.split())
