"""Template helpers: sortable column links and status badge styles."""

from __future__ import annotations

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kustos.tenants.services import stats

register = template.Library()

BADGES = {
    "active": "ok", "succeeded": "ok", "running": "info", "queued": "muted", "retrying": "warn",
    "failed": "danger", "deleting": "danger", "inactive": "muted",
}


JOB_KINDS = {
    "customer.delete": _("Customer deletion"),
    "customer.exit_export": _("Customer exit export"),
    "source.run": _("Source fetch"),
    "archive.import": _("Mail import"),
    "archive.restore": _("Restore to mailbox"),
    "archive.ocr": _("Text recognition (OCR)"),
    "archive.search_rebuild": _("Search index rebuild"),
    "vault.verify": _("Archive verification"),
    "backup.run": _("Backup run"),
    "backup.restore": _("Restore from backup"),
    "backup.seed": _("Sandbox seeding"),
    "backup.retention": _("Backup retention"),
    "backup.index": _("Backup indexing"),
}


@register.filter
def job_kind(kind: str) -> str:
    """A readable name for a job kind; unknown kinds are shown as they are."""
    return str(JOB_KINDS.get(kind, kind))


@register.simple_tag(takes_context=True)
def sort_query(context, key: str) -> str:
    """The query string that sorts by ``key`` (toggling direction when it is the current
    sort), keeping the search and dropping the page number."""
    request = context["request"]
    params: QueryDict = request.GET.copy()
    current = context.get("table").sort if context.get("table") else params.get("sort", "")
    params["sort"] = f"-{key}" if current == key else key
    params.pop("page", None)
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def sort_mark(context, key: str) -> str:
    table = context.get("table")
    if table is None:
        return ""
    if table.sort == key:
        return "asc"
    if table.sort == f"-{key}":
        return "desc"
    return ""


@register.simple_tag(takes_context=True)
def page_query(context, number: int) -> str:
    params: QueryDict = context["request"].GET.copy()
    params["page"] = str(number)
    return "?" + params.urlencode()


@register.filter
def badge(state: str) -> str:
    """CSS modifier for a state value (active, failed, ...)."""
    return BADGES.get(str(state), "muted")


@register.filter
def nav_active(current_path: str, url: str) -> bool:
    if url == "/":
        return current_path == "/"
    return str(current_path).startswith(url)


# Small line icons for the navigation (stroke-only SVG paths, 24x24 viewBox).
ICONS = {
    "/": "M3 11l9-8 9 8M5 10v10h5v-6h4v6h5V10",
    "/partners/": "M3 21V7l9-4 9 4v14M9 21v-6h6v6M7 10h2M15 10h2",
    "/customers/": "M16 11a4 4 0 1 0-8 0 4 4 0 0 0 8 0zM4 21c1-4 4-6 8-6s7 2 8 6",
    "/archive/search/": "M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM21 21l-5-5",
    "/archive/saved-searches/": "M6 3h12v18l-6-4-6 4z",
    "/users/": "M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM3 20c.5-3.5 3-5 6-5s5.5 1.5 6 5M16 5a3 3 0 0 1 0 6M18 15c2 .5 3 2 3.5 5",
    "/jobs/": "M4 6h16M4 12h10M4 18h6M18 14l2 2 3-4",
    "/audit/": "M7 3h10v18H7zM10 8h4M10 12h4M10 16h2",
    "/locations/": "M12 21s-7-6-7-11a7 7 0 0 1 14 0c0 5-7 11-7 11zM12 12a2 2 0 1 0 0-4 2 2 0 0 0 0 4z",
    "/account/": "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM6 21v-1a6 6 0 0 1 12 0v1",
    "/help/": "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14M12 17h.01",
}


@register.simple_tag
def nav_icon(url: str):
    path = ICONS.get(url, "M4 12h16")
    return format_html('<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="{}"/></svg>', path)


@register.simple_tag
def customer_health(customer) -> stats.Health:
    """The status badge data of a customer (failing or paused sources, deletion, active)."""
    return stats.health(customer)


FOLDER_LABEL_CHARS = 32


@register.filter
def folder_tail(path: str, limit: int = FOLDER_LABEL_CHARS) -> str:
    """A folder path shortened from the front, keeping its last segments: a long
    ``INBOX/Clients/Projects/2024/Invoices`` becomes ``…/Projects/2024/Invoices``.
    A ``mailbox: `` prefix (facets of several mailboxes) is kept in front."""
    text = str(path or "")
    prefix, sep, rest = text.partition(": ")
    if not sep or "/" in prefix:
        prefix, rest = "", text
    else:
        prefix += sep
    budget = max(1, int(limit) - len(prefix))
    if len(rest) <= budget:
        return prefix + rest
    kept: list[str] = []
    for segment in reversed(rest.split("/")):
        if kept and len("…/" + "/".join([segment, *kept])) > budget:
            break
        kept.insert(0, segment)
    tail = "/".join(kept)
    if len(tail) + 2 > budget:  # the last segment alone is too long: keep its end
        return prefix + "…" + tail[-max(1, budget - 1):]
    return f"{prefix}…/{tail}"
