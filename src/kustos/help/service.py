"""What the dashboard, API and tests ask of the knowledge base: the article list (grouped), a
search, one article with its HTML. Unknown slugs raise UnknownArticle."""

from __future__ import annotations

from dataclasses import dataclass

from kustos.help import registry
from kustos.help.registry import Article, UnknownArticle, language
from kustos.help.search import search

__all__ = ["Article", "UnknownArticle", "article", "find", "index", "language"]


@dataclass(frozen=True)
class Index:
    lang: str
    query: str
    groups: list[tuple[str, str, list[Article]]]
    hits: list[Article] | None  # None when no query was given


def index(lang: str | None, query: str = "") -> Index:
    lang = language(lang)
    query = query.strip()
    hits = [h.article for h in search(query, lang)] if query else None
    return Index(lang=lang, query=query, groups=registry.grouped(lang), hits=hits)


def find(query: str, lang: str | None) -> list[Article]:
    return [h.article for h in search(query, language(lang))]


def article(slug: str, lang: str | None) -> Article:
    return registry.get(slug, language(lang))
