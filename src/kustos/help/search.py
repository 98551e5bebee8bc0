"""A ranked term search over the articles of one language: every query word must occur in the
title, summary, keywords or body (whole word, word start or, from four letters, inside a German
compound); title and keyword hits weigh more. Umlauts and ß match their spellings ae/oe/ue/ss."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kustos.help.registry import Article, articles

_WORD = re.compile(r"\w+")
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
MAX_QUERY = 200


@dataclass(frozen=True)
class Hit:
    article: Article
    score: int


def terms(text: str) -> list[str]:
    return _WORD.findall(text.casefold().translate(_FOLD))


def _match(term: str, words: set[str]) -> int:
    if term in words:
        return 3
    if len(term) >= 3 and any(w.startswith(term) for w in words):
        return 2
    if len(term) >= 4 and any(term in w for w in words):
        return 1
    return 0


def search(query: str, lang: str) -> list[Hit]:
    """Articles in ``lang`` matching every word of ``query``, best first; an empty query lists all."""
    wanted = list(dict.fromkeys(terms(query[:MAX_QUERY])))
    found = articles(lang)
    if not wanted:
        return [Hit(a, 0) for a in found]
    hits: list[Hit] = []
    for a in found:
        heavy = set(terms(f"{a.title} {a.keywords}"))
        light = set(terms(f"{a.summary} {a.body}"))
        score = 0
        for term in wanted:
            s = 4 * _match(term, heavy) + _match(term, light)
            if not s:
                break
            score += s
        else:
            hits.append(Hit(a, score))
    return sorted(hits, key=lambda h: -h.score)
