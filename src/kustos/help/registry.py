"""The articles: loaded once from ``articles/<slug>.<lang>.md``, listed by topic, looked up by slug.

An article file starts with ``key: value`` lines (``title``, ``topic``, ``order``, ``summary``,
optionally ``keywords``), then a line ``---``, then the Markdown body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kustos.help.render import to_html
from kustos.help.topics import TOPICS, topic_name

LANGUAGES = ("en", "de")
ARTICLES_DIR = Path(__file__).with_name("articles")
_NAME = re.compile(r"^(?P<slug>[a-z0-9-]+)\.(?P<lang>[a-z]{2})\.md$")
_REQUIRED = ("title", "topic", "order", "summary")


class UnknownArticle(LookupError):
    """No article with that slug."""


@dataclass(frozen=True)
class Article:
    slug: str
    lang: str
    title: str
    topic: str
    order: int
    summary: str
    keywords: str
    body: str

    @property
    def html(self) -> str:
        return to_html(self.body)

    @property
    def topic_name(self) -> str:
        return topic_name(self.topic, self.lang)


def language(lang: str | None) -> str:
    """The article language for a UI language code (``de``, ``de-de`` → de; anything else → en)."""
    code = (lang or "").lower().split("-")[0].split("_")[0]
    return code if code in LANGUAGES else "en"


def parse(slug: str, lang: str, text: str) -> Article:
    head, sep, body = text.partition("\n---\n")
    if not sep:
        raise ValueError(f"article {slug}.{lang}: no '---' line after the header")
    meta: dict[str, str] = {}
    for line in head.splitlines():
        if line.strip():
            key, colon, value = line.partition(":")
            if not colon:
                raise ValueError(f"article {slug}.{lang}: header line {line!r} is not 'key: value'")
            meta[key.strip()] = value.strip()
    missing = [k for k in _REQUIRED if not meta.get(k)]
    if missing:
        raise ValueError(f"article {slug}.{lang}: header lacks {', '.join(missing)}")
    if meta["topic"] not in TOPICS:
        raise ValueError(f"article {slug}.{lang}: unknown topic {meta['topic']!r}")
    return Article(slug=slug, lang=lang, title=meta["title"], topic=meta["topic"], order=int(meta["order"]),
                   summary=meta["summary"], keywords=meta.get("keywords", ""), body=body.strip() + "\n")


@cache
def _all(directory: Path = ARTICLES_DIR) -> dict[tuple[str, str], Article]:
    out: dict[tuple[str, str], Article] = {}
    for path in sorted(directory.glob("*.md")):
        m = _NAME.match(path.name)
        if not m:
            raise ValueError(f"article file name {path.name!r} is not <slug>.<lang>.md")
        out[(m["slug"], m["lang"])] = parse(m["slug"], m["lang"], path.read_text(encoding="utf-8"))
    return out


def slugs() -> list[str]:
    return sorted({slug for slug, _ in _all()})


def articles(lang: str) -> list[Article]:
    """Every article in ``lang`` (English where a translation is missing), in topic and article order."""
    lang = language(lang)
    table = _all()
    found = [table.get((slug, lang)) or table[(slug, "en")] for slug in slugs()]
    topic_order = list(TOPICS)
    return sorted(found, key=lambda a: (topic_order.index(a.topic), a.order, a.title))


def get(slug: str, lang: str) -> Article:
    table = _all()
    article = table.get((slug, language(lang))) or table.get((slug, "en"))
    if article is None:
        raise UnknownArticle(f"no help article {slug!r}")
    return article


def grouped(lang: str) -> list[tuple[str, str, list[Article]]]:
    """``(topic, topic name, articles)`` for every topic that has articles, in display order."""
    lang = language(lang)
    groups: dict[str, list[Article]] = {}
    for a in articles(lang):
        groups.setdefault(a.topic, []).append(a)
    return [(t, topic_name(t, lang), groups[t]) for t in TOPICS if t in groups]
