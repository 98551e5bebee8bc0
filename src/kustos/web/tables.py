"""Sorting and paging for dashboard tables, driven by the query string (q, sort, page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest

PER_PAGE = 25


@dataclass
class Table:
    page: Page
    sort: str
    q: str

    @property
    def rows(self):
        return self.page.object_list


def build(request: HttpRequest, qs: QuerySet, sorts: dict[str, str], default: str,
          per_page: int = PER_PAGE) -> Table:
    """Order ``qs`` by the ``sort`` parameter (a key of ``sorts``, optionally prefixed with
    "-"; unknown keys fall back to ``default``) and return the requested page. Empty values
    sort last in both directions; the primary key breaks ties so paging is stable."""
    sort = request.GET.get("sort", default)
    key = sort.lstrip("-")
    if key not in sorts:
        sort, key = default, default.lstrip("-")
    field = F(sorts[key])
    order = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
    paginator = Paginator(qs.order_by(order, "pk"), per_page)
    page = paginator.get_page(request.GET.get("page"))
    return Table(page=page, sort=sort, q=request.GET.get("q", "").strip())
