"""/api/v1/help: the knowledge-base articles (any signed-in user), listed, searched and read."""

from __future__ import annotations

from django.http import Http404
from django.utils import translation
from ninja import Router, Schema

from kustos.help import service

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


def _summary(a: service.Article) -> dict:
    return {"slug": a.slug, "lang": a.lang, "title": a.title, "topic": a.topic, "topic_name": a.topic_name,
            "summary": a.summary}


@router.get("/help/articles", response=list[ArticleSummaryOut],
            summary="Help articles (in topic order, or ranked by the search q); lang en or de, default: your language")
def list_articles(request, q: str = "", lang: str = ""):
    return [_summary(a) for a in service.find(q, lang or translation.get_language())]


@router.get("/help/articles/{slug}", response=ArticleOut, summary="One help article as Markdown and HTML")
def get_article(request, slug: str, lang: str = ""):
    try:
        a = service.article(slug, lang or translation.get_language())
    except service.UnknownArticle as exc:
        raise Http404(str(exc)) from exc
    return {**_summary(a), "markdown": a.body, "html": a.html}
