"""Building the HTML snippet of a hit: escape text, wrap matches in <mark>."""

from __future__ import annotations

import html
import re

from kustos.search.query.ast import Node, positive_texts

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


def fallback(text: str) -> str:
    """The escaped beginning of ``text`` when there is nothing to highlight."""
    head = " ".join(text.split())[:FALLBACK_CHARS]
    return html.escape(head)


def _squash(snippet: str) -> str:
    # Mail bodies are full of line breaks and indentation; a snippet reads better as one line.
    return " ".join(snippet.split())


_WORD = re.compile(r"[^\W_]+")
#: Words shown around the best match, and how much text is scanned for it.
WINDOW_WORDS = 30
SCAN_CHARS = 60_000


def highlight(text: str, terms: set[str], prefixes: tuple[str, ...]) -> str | None:
    """A window of ``text`` around the densest cluster of matching words, HTML-escaped,
    matches in <mark>; None when no word of ``text`` matches. Words are compared in the
    analysed form (kustos.search.analysis), so "Müller" matches the term "müller"."""
    text = text[:SCAN_CHARS]
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    hits = [
        i for i, (s, e) in enumerate(words)
        if (w := text[s:e].lower()) in terms or (prefixes and w.startswith(prefixes))
    ]
    if not hits:
        return None
    # Slide over the matches: the window of WINDOW_WORDS words holding the most of them.
    best, best_count, j = hits[0], 0, 0
    for i, last in enumerate(hits):
        while last - hits[j] >= WINDOW_WORDS:
            j += 1
        if i - j + 1 > best_count:
            best, best_count = hits[j], i - j + 1
    start_word = max(0, best - WINDOW_WORDS // 6)
    end_word = min(len(words), start_word + WINDOW_WORDS) - 1
    start = words[start_word][0] if start_word > 0 else 0
    end = words[end_word][1] if end_word < len(words) - 1 else len(text)
    marked = set(hits)
    out: list[str] = []
    pos = start
    for i in range(start_word, end_word + 1):
        s, e = words[i]
        if i in marked:
            out.append(html.escape(text[pos:s]) + MARK_OPEN + html.escape(text[s:e]) + MARK_CLOSE)
            pos = e
    out.append(html.escape(text[pos:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text.rstrip()) else ""
    return prefix + _squash("".join(out)) + suffix


class Highlighter:
    """Python-side snippets for one query: body first, then attachment text, then subject;
    the first field with a match gives the snippet, else the body's beginning."""

    FIELDS = ("body", "attachment", "subject")

    def __init__(self, query: Node) -> None:
        self.per_field: list[tuple[set[str], tuple[str, ...]]] = []
        texts = positive_texts(query)
        for field in self.FIELDS:
            terms: set[str] = set()
            prefixes: list[str] = []
            for text in texts:
                if text.field not in (None, field):
                    continue
                if text.prefix:
                    terms.update(text.tokens[:-1])
                    prefixes.append(text.tokens[-1])
                else:
                    terms.update(text.tokens)
            self.per_field.append((terms, tuple(prefixes)))

    def make(self, body: str, attachment: str, subject: str) -> str:
        for text, (terms, prefixes) in zip((body, attachment, subject), self.per_field, strict=True):
            if terms or prefixes:
                snippet = highlight(text, terms, prefixes)
                if snippet is not None:
                    return snippet
        return fallback(body if body.strip() else subject)
