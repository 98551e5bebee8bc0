"""Building the HTML snippet of a hit: escape text, wrap matches in <mark>."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from kustos.search.query.ast import Node, positive_texts
from kustos.search.terms import extras, fold, query_parts, query_stems

MARK_OPEN = "<mark>"
MARK_CLOSE = "</mark>"
#: Length of the fallback snippet when nothing in the text matched (e.g. a from: query).
FALLBACK_CHARS = 200


def fallback(text: str) -> str:
    """The escaped beginning of ``text`` when there is nothing to highlight."""
    head = " ".join(text.split())[:FALLBACK_CHARS]
    return html.escape(head)


def _squash(snippet: str) -> str:
    # Mail bodies are full of line breaks and indentation; a snippet reads better as one line.
    return " ".join(snippet.split())


#: Characters shown around the densest cluster of matches, and how much text is scanned.
WINDOW_CHARS = 200
CONTEXT_CHARS = 50
SCAN_CHARS = 60_000
#: The word-by-word scan for other spellings and forms is slower: it reads less.
FOLDED_SCAN_CHARS = 10_000
_WORD_CHAR = r"[^\W_]"


@lru_cache(maxsize=256)
def _pattern(terms: frozenset[str], prefixes: tuple[str, ...]) -> re.Pattern[str]:
    # Plain alternatives only: look-arounds at every position made this 10x slower;
    # word boundaries are checked on the few candidates instead (_whole_words).
    alternatives = [re.escape(t) for t in sorted(terms, key=len, reverse=True)]
    alternatives += [re.escape(p) + _WORD_CHAR + "*" for p in prefixes]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _whole_words(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of matches not glued to a letter or digit on either side."""
    spans = []
    for match in pattern.finditer(text):
        begin, end = match.span()
        if begin > 0 and text[begin - 1].isalnum():
            continue
        if end < len(text) and text[end].isalnum():
            continue
        spans.append((begin, end))
    return spans


def highlight(text: str, terms: set[str], prefixes: tuple[str, ...]) -> str | None:
    """A window of ``text`` around the densest cluster of matching words, HTML-escaped,
    matches in <mark>; None when no word of ``text`` matches. Matching is case-insensitive
    on whole words, so "Müller" matches the analysed term "müller"."""
    if not terms and not prefixes:
        return None
    text = text[:SCAN_CHARS]
    return render(text, _whole_words(text, _pattern(frozenset(terms), prefixes)))


_WORD = re.compile(r"[^\W_]+")


class FoldedKeys:
    """What a query's words match in the index (folded forms, stems, compound parts),
    for highlighting the words of a text that matched without being spelt alike."""

    def __init__(self, terms: set[str], prefixes: tuple[str, ...]) -> None:
        self.words = {fold(t) for t in terms}
        self.prefixes = tuple(fold(p) for p in prefixes)
        self.extras = {e for t in self.words for e in (*query_stems(t), *query_parts(t))}

    def matches(self, word: str) -> bool:
        folded = fold(word.lower())
        if folded in self.words or (self.prefixes and folded.startswith(self.prefixes)):
            return True
        return bool(self.extras) and not self.extras.isdisjoint(extras(folded))


def highlight_folded(text: str, keys: FoldedKeys) -> str | None:
    """Like ``highlight``, matching words by their folded forms, stems and compound parts
    ("Mueller" marks "Müller", "Rechnung" marks "Stromrechnungen"); slower, so the
    Highlighter uses it only when no word is spelt as in the query."""
    text = text[:FOLDED_SCAN_CHARS]
    return render(text, [m.span() for m in _WORD.finditer(text) if keys.matches(m.group())])


def render(text: str, matches: list[tuple[int, int]]) -> str | None:
    """The snippet around the densest cluster of ``matches`` (spans of ``text``), or None."""
    if not matches:
        return None
    best, best_count, j = 0, 0, 0
    for i, (begin, _end) in enumerate(matches):
        while begin - matches[j][0] > WINDOW_CHARS:
            j += 1
        if i - j + 1 > best_count:
            best, best_count = j, i - j + 1
    start = _word_start(text, max(0, matches[best][0] - CONTEXT_CHARS), matches[best][0])
    end = _word_end(text, max(start + WINDOW_CHARS, matches[best][1]))
    out: list[str] = []
    pos = start
    for begin, finish in matches[best:]:
        if finish > end:
            break
        out.append(html.escape(text[pos:begin]) + MARK_OPEN + html.escape(text[begin:finish]) + MARK_CLOSE)
        pos = finish
    out.append(html.escape(text[pos:end]))
    lead = "… " if text[:start].strip() else ""
    tail = " …" if text[end:].strip() else ""
    return lead + _squash("".join(out)) + tail


def _word_start(text: str, start: int, limit: int) -> int:
    """Move ``start`` forward past a partial word (not beyond ``limit``)."""
    if start == 0:
        return 0
    space = text.find(" ", start, limit)
    return space + 1 if space >= 0 else start


def _word_end(text: str, end: int) -> int:
    """Extend ``end`` to the end of the word it cuts (a little at most)."""
    if end >= len(text):
        return len(text)
    space = text.find(" ", end, end + 30)
    return space if space >= 0 else end


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
        texts = (body, attachment, subject)
        for text, (terms, prefixes) in zip(texts, self.per_field, strict=True):
            if terms or prefixes:
                snippet = highlight(text, terms, prefixes)
                if snippet is not None:
                    return snippet
        for text, (terms, prefixes) in zip(texts, self.per_field, strict=True):
            if terms or prefixes:
                snippet = highlight_folded(text, FoldedKeys(terms, prefixes))
                if snippet is not None:
                    return snippet
        return fallback(body if body.strip() else subject)
