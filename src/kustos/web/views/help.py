"""Help: the knowledge base (topics, search, articles in the user's language) and the
getting-started guide."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from kustos.help import service


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    found = service.index(translation.get_language(), request.GET.get("q", ""))
    return render(request, "kustos/help/index.html", {"help": found})


@login_required
@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        art = service.article(slug, translation.get_language())
    except service.UnknownArticle as exc:
        raise Http404(str(exc)) from exc
    body = mark_safe(art.html)  # noqa: S308 - help/render.py escapes every piece of article text
    return render(request, "kustos/help/article.html", {"article": art, "body": body})


@login_required
@require_GET
def guide(request: HttpRequest) -> HttpResponse:
    return render(request, "kustos/help/guide.html", {})
