"""Archive search page (query, filters, facets, paging via htmx), folder tree and export.

Thin views: the permission filter, scope and audit trail live in
``kustos.archive.services.search`` / ``messages`` / ``export``; nothing here re-checks roles
beyond calling ``access.get_customer`` with the matching permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages as messages_ui
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Folder, Mailbox, Message
from kustos.archive.services import export, export_files
from kustos.archive.services import search as search_service
from kustos.audit import services as audit
from kustos.search import IndexOutdated, InvalidRequest, QuerySyntaxError, limits
from kustos.tenants.models import Customer
from kustos.web.htmx import render_page

PAGE_SIZE = 25
EXPORT_LIMIT = 10000
SORTS = ("best", "relevance", "date")  # best: relevance weighted by recency (kustos.search.ranking)


@dataclass
class SearchForm:
    """The search page's GET parameters; ``query()`` folds the filters into the query language."""

    customer: str = ""
    q: str = ""
    mailbox: str = ""
    folder: str = ""
    domain: str = ""
    date_from: str = ""
    date_to: str = ""
    attachment: bool = False
    sort: str = "best"
    page: int = 1
    page_error: str = ""

    @classmethod
    def from_params(cls, params: QueryDict) -> SearchForm:
        sort = params.get("sort", "best")
        try:
            page, page_error = limits.parse_page(params.get("page", "1"), PAGE_SIZE), ""
        except ValueError as exc:
            page, page_error = 1, str(exc)
        # The query text is not cut here: the parser rejects what exceeds search.limits with a reason.
        return cls(customer=params.get("customer", "").strip(), q=params.get("q", "").strip(),
                   mailbox=params.get("mailbox", "").strip().lower(), folder=params.get("folder", "").strip(),
                   domain=params.get("domain", "").strip().lower(), date_from=params.get("from", "").strip(),
                   date_to=params.get("to", "").strip(), attachment=params.get("attachment") in ("1", "on"),
                   sort=sort if sort in SORTS else "best", page=page, page_error=page_error)

    def query(self) -> str:
        parts = [f"({self.q})"] if self.q else []
        if self.folder:
            parts.append('folder:"{}"'.format(self.folder.replace('"', "")))
        if self.domain:
            parts.append('from:"{}"'.format(self.domain.replace('"', "")))
        if self.date_from or self.date_to:
            parts.append(f"date:{self.date_from.replace(' ', '')}..{self.date_to.replace(' ', '')}")
        if self.attachment:
            parts.append("has:attachment")
        return " ".join(parts)

    def params(self, **change: Any) -> str:
        """Query string of this search with some parameters changed (page reset unless given)."""
        values = {"customer": self.customer, "q": self.q, "mailbox": self.mailbox, "folder": self.folder,
                  "domain": self.domain, "from": self.date_from, "to": self.date_to,
                  "attachment": "1" if self.attachment else "", "sort": self.sort, "page": ""}
        values.update({k: v for k, v in change.items()})
        return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})

    @property
    def filtered(self) -> bool:
        return bool(self.mailbox or self.folder or self.domain or self.date_from or self.date_to or self.attachment)


def searchable_customers(user: Any) -> list[Customer]:
    if not access.has_perm(user, Perm.ARCHIVE_SEARCH):
        return []
    # the customer picker shows id and name only: a partner with a thousand customers loads nothing else
    return list(access.customers_for(user).select_related(None).only("id", "name").order_by("name")[:1000])


def _folder_label(name: str, several_mailboxes: bool) -> str:
    box, _, path = name.partition("/")
    if not path:
        return name
    return f"{box.split('@')[0]}: {path}" if several_mailboxes else path


def _facet_links(form: SearchForm, facets: Any) -> dict[str, list[dict[str, Any]]]:
    """Facet values as clickable filters: label, count, link (this search plus the filter), active."""
    if facets is None:
        return {}
    folders = sorted(facets.folder.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    several = len({name.partition("/")[0] for name in facets.folder}) > 1
    years = sorted(facets.year.items(), reverse=True)[:12]
    domains = sorted(facets.sender_domain.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    mailboxes = sorted(facets.mailbox.items(), key=lambda kv: (-kv[1], kv[0]))[:12]

    def item(label: str, title: str, n: int, url: str, active: bool) -> dict[str, Any]:
        return {"label": label, "title": title, "n": n, "url": url, "active": active}

    return {
        "folder": [item(_folder_label(name, several), name, n, form.params(folder=name), name == form.folder)
                   for name, n in folders],
        "year": [item(str(y), str(y), n, form.params(**{"from": f"{y}-01-01", "to": f"{y}-12-31"}),
                      form.date_from == f"{y}-01-01" and form.date_to == f"{y}-12-31") for y, n in years],
        "domain": [item(d, d, n, form.params(domain=d), d == form.domain) for d, n in domains if d],
        "mailbox": [item(m, m, n, form.params(mailbox=m), m == form.mailbox) for m, n in mailboxes],
        "attachment": [item(_("with attachments"), _("with attachments"), facets.has_attachment,
                            form.params(attachment="1"), form.attachment)] if facets.has_attachment else [],
    }


def _mailboxes(user: Any, customer: Customer) -> list[str]:
    allowed = search_service.scope_for(user, customer).allowed_mailboxes
    boxes = Mailbox.objects.filter(customer=customer).values_list("address", flat=True)
    return [b for b in boxes if allowed is None or b in allowed][:500]


def _run_search(user: Any, customer: Customer, form: SearchForm) -> dict[str, Any]:
    if form.page_error:
        return {"error": form.page_error, "position": None}
    try:
        result, rows = search_service.search_rows_as(user, customer.id, form.query(), mailbox=form.mailbox or None,
                                                     limit=PAGE_SIZE, offset=(form.page - 1) * PAGE_SIZE,
                                                     sort=form.sort, facets=True)
    except (QuerySyntaxError, InvalidRequest) as exc:
        position = getattr(exc, "position", None)
        if position is not None and form.q:
            position = max(0, position - 1)  # query() put "(" before the user's text
        return {"error": getattr(exc, "message", str(exc)), "position": position}
    except IndexOutdated as exc:  # built by an older analysis: not searched until rebuilt
        return {"error": str(exc), "position": None, "status": 503}
    pages = min(max(1, (result.total + PAGE_SIZE - 1) // PAGE_SIZE), limits.max_page(PAGE_SIZE))
    return {
        "rows": rows, "total": result.total, "took_ms": round(result.took_ms),
        "facets": _facet_links(form, result.facets),
        "page": form.page, "pages": pages, "first": (form.page - 1) * PAGE_SIZE + 1 if rows else 0,
        "last": (form.page - 1) * PAGE_SIZE + len(rows),
        "prev_url": form.params(page=form.page - 1) if form.page > 1 else "",
        "next_url": form.params(page=form.page + 1) if form.page < pages else "",
    }


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.ARCHIVE_SEARCH)
    customers = searchable_customers(user)
    form = SearchForm.from_params(request.GET)
    if not form.customer and len(customers) == 1:
        form.customer = customers[0].id
    context: dict[str, Any] = {"customers": customers, "form": form, "customer": None}
    status = 200
    if form.customer:
        customer = access.get_customer(user, form.customer, Perm.ARCHIVE_SEARCH)
        context.update(customer=customer, mailboxes=_mailboxes(user, customer),
                       can_export=access.has_perm(user, Perm.ARCHIVE_EXPORT),
                       can_restore=access.has_perm(user, Perm.ARCHIVE_RESTORE)
                       and access.self_service_allows(user, customer, "restore"),
                       can_hold=access.has_perm(user, Perm.LEGAL_HOLD), **_run_search(user, customer, form))
        status = context.get("status", 400) if "error" in context else 200
    return render_page(request, "kustos/archive/search.html", "kustos/archive/_results.html", context, status=status)


def _tree(customer: Customer, address: str, folders: list[Any]) -> list[dict[str, Any]]:
    """Folder rows in path order with depth, last path segment and search link, for an indented tree.

    Parents that hold no message themselves (``Projekte`` of ``Projekte/2024``) have no Folder
    row; they are inserted without count and link so the tree stays complete.
    """
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for folder in sorted(folders, key=lambda f: [p.lower() for p in f.path.split("/")]):
        parts = [p for p in folder.path.split("/") if p] or [folder.path or "/"]
        for depth in range(len(parts) - 1):
            parent = "/".join(parts[:depth + 1])
            if parent not in seen:
                seen.add(parent)
                rows.append({"path": parent, "name": parts[depth], "depth": min(depth, 8), "count": None,
                             "url": ""})
        seen.add("/".join(parts))
        query = 'folder:"{}/{}"'.format(address, folder.path.replace('"', ""))
        rows.append({"path": folder.path, "name": parts[-1], "depth": min(len(parts) - 1, 8), "count": folder.n,
                     "url": "/archive/search/?" + urlencode({"customer": customer.id, "q": query}),
                     "tax_relevant": folder.tax_relevant})
    return rows


@login_required
@require_GET
def folders(request: HttpRequest, customer_id: str) -> HttpResponse:
    user = request.user
    customer = access.get_customer(user, customer_id, Perm.ARCHIVE_SEARCH)
    scope = search_service.scope_for(user, customer)
    boxes = Mailbox.objects.filter(customer=customer).order_by("address")
    if scope.allowed_mailboxes is not None:
        boxes = boxes.filter(address__in=scope.allowed_mailboxes)
    # Counts are references per folder; an auditor's date window or tax-relevant limit is not
    # applied to them, so such auditors see the tree without counts rather than numbers they may not know.
    show_counts = scope.date_from is None and scope.date_to is None and not scope.tax_relevant_only
    folder_rows = Folder.objects.filter(mailbox__in=boxes).annotate(n=Count("refs")).order_by("path")
    by_box: dict[int, list[Any]] = {}
    for folder in folder_rows:
        by_box.setdefault(folder.mailbox_id, []).append(folder)
    tree = []
    for box in boxes[:500]:
        box_folders = by_box.get(box.id, [])
        tree.append({"address": box.address, "name": box.display_name,
                     "folders": _tree(customer, box.address, box_folders), "total": sum(f.n for f in box_folders)})
    audit.record("archive.folders", actor=user, customer=customer)
    return render(request, "kustos/archive/folders.html",
                  {"customer": customer, "tree": tree, "show_counts": show_counts,
                   "can_flag": access.can_flag_tax_relevant(user, customer),
                   "can_restore": access.has_perm(user, Perm.ARCHIVE_RESTORE)
                   and access.self_service_allows(user, customer, "restore")})


def _selected(user: Any, customer: Customer, request: HttpRequest, form: SearchForm) -> list[Message]:
    scope = search_service.download_scope_for(user, customer)
    if request.POST.get("scope") == "all":
        ids = export.matching_ids(customer, form.query(), scope, mailbox=form.mailbox or None, sort=form.sort,
                                  cap=EXPORT_LIMIT)
    else:
        ids = request.POST.getlist("ids")[:EXPORT_LIMIT]
    return export.select(customer, ids, scope)


@login_required
@require_POST
def export_selection(request: HttpRequest) -> HttpResponse:
    """POST (CSRF) the search parameters plus ``ids`` or ``scope=all``; answers the file, or
    redirects back to the search with a message when there is nothing to export."""
    user = request.user
    form = SearchForm.from_params(request.POST)
    customer = access.get_customer(user, form.customer, Perm.ARCHIVE_EXPORT)
    fmt = request.POST.get("format", "eml-zip")
    back = redirect("/archive/search/" + form.params(page=form.page if form.page > 1 else ""))
    if fmt not in export.FORMATS:
        messages_ui.error(request, _("Unknown export format."))
        return back
    try:
        selected = _selected(user, customer, request, form)
    except (QuerySyntaxError, InvalidRequest) as exc:
        messages_ui.error(request, str(exc))
        return back
    if not selected:
        messages_ui.error(request, _("Nothing selected to export."))
        return back
    suffix = ".zip" if fmt == "eml-zip" else ".mbox"
    path = export_files.new_path(customer.id, f"archive-export-{customer.id}{suffix}")
    result = export.write(selected, fmt, path)
    audit.record("archive.export", actor=user, customer=customer,
                 detail={"query": form.query()[:500], "count": result["count"], "format": fmt,
                         "selection": "all" if request.POST.get("scope") == "all" else "ids"})
    handle = export_files.open_once(path)  # streamed from the open handle; nothing stays on disk
    resp = FileResponse(handle, as_attachment=True, filename=path.name,
                        content_type="application/zip" if fmt == "eml-zip" else "application/mbox")
    resp["X-Export-Count"] = str(result["count"])
    resp["X-Content-SHA256"] = result["sha256"]
    return resp
