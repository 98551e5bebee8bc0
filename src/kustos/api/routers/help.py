"""/api/v1/help: the knowledge-base articles (any signed-in user), listed, searched and read."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation
from ninja import Router, Schema

from kustos.help import service
from kustos.help.registry import LANGUAGES

router = Router(tags=["help"])


class ArticleSummaryOut(Schema):
    slug: str
    lang: str
    title: str
    topic: str
    topic_name: str
    summary: str


class ArticleOut(ArticleSummaryOut):
    markdown: str
    html: str


def _lang(lang: str) -> str:
    """The requested language, or the caller's UI language when none is given; others are refused."""
    if not lang:
        return translation.get_language() or "en"
    if lang.lower() not in LANGUAGES:
        raise ValidationError(f"unsupported language {lang!r}: use {' or '.join(LANGUAGES)}")
    return lang.lower()


def _summary(a: service.Article) -> dict:
    return {"slug": a.slug, "lang": a.lang, "title": a.title, "topic": a.topic, "topic_name": a.topic_name,
            "summary": a.summary}


@router.get("/help/articles", response=list[ArticleSummaryOut],
            summary="Help articles (in topic order, or ranked by the search q); lang en or de, default: your language")
def list_articles(request, q: str = "", lang: str = ""):
    return [_summary(a) for a in service.find(q, _lang(lang))]


@router.get("/help/articles/{slug}", response=ArticleOut, summary="One help article as Markdown and HTML")
def get_article(request, slug: str, lang: str = ""):
    try:
        a = service.article(slug, _lang(lang))
    except service.UnknownArticle as exc:
        raise Http404(str(exc)) from exc
    return {**_summary(a), "markdown": a.body, "html": a.html}
