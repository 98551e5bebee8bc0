"""Dashboard "Saved searches" (requirement 16) and the tax-relevant toggle of the folder tree
(requirement 15).

Thin: who sees, edits and shares what, and the audit trail, are the business of
``kustos.compliance.services.saved_searches`` and ``kustos.archive.services.tax_flags``.
Running a saved search opens the archive search with its query, where the user's own
visibility (an auditor's grant) applies inside the index query.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages as messages_ui
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kustos.accounts import access
from kustos.archive.services import tax_flags
from kustos.audit import services as audit
from kustos.compliance.services import saved_searches
from kustos.web.views.archive import searchable_customers


def _list_url(customer_id: str) -> str:
    return "/archive/saved-searches/?" + urlencode({"customer": customer_id})


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, access.Perm.ARCHIVE_SEARCH)
    customers = searchable_customers(user)
    customer_id = request.GET.get("customer", "").strip() or (customers[0].id if len(customers) == 1 else "")
    context: dict = {"customers": customers, "customer": None, "rows": []}
    if customer_id:
        rows = saved_searches.list_as(user, customer_id)
        customer = access.get_customer(user, customer_id, access.Perm.ARCHIVE_SEARCH)
        context.update(customer=customer, rows=rows,
                       can_share=access.can_share_with_auditors(user, customer))
    return render(request, "kustos/saved_searches/list.html", context)


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    customer_id = request.POST.get("customer", "")
    try:
        saved = saved_searches.create_as(request.user, customer_id, request.POST.get("name", ""),
                                         request.POST.get("query", ""), request.POST.get("shared") == "1")
    except ValidationError as exc:
        messages_ui.error(request, "; ".join(exc.messages))
        return redirect(_list_url(customer_id))
    messages_ui.success(request, _("Search saved as “%(name)s”.") % {"name": saved.name})
    return redirect(_list_url(customer_id))


@login_required
@require_POST
def share(request: HttpRequest) -> HttpResponse:
    saved = saved_searches.share_as(request.user, request.POST.get("id", ""), request.POST.get("shared", "1") in ("1", "on", "true"))
    return redirect(_list_url(saved.customer_id))


@login_required
@require_POST
def delete(request: HttpRequest) -> HttpResponse:
    removed = saved_searches.remove_as(request.user, request.POST.get("id", ""))
    return redirect(_list_url(removed["customer"]))


@login_required
@require_GET
def run(request: HttpRequest) -> HttpResponse:
    """``?id=``: open the archive search with the saved query (the user's own visibility applies)."""
    saved = saved_searches.get_as(request.user, request.GET.get("id", ""))
    audit.record("saved_search.open", actor=request.user, customer=saved.customer, target=saved.id,
                 detail={"name": saved.name})
    return redirect("/archive/search/?" + urlencode({"customer": saved.customer_id, "q": saved.query}))


@login_required
@require_POST
def flag_folder(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Mark (``tax_relevant=1``) or unmark (``0``) one folder of the tree, then show the tree again."""
    on = request.POST.get("tax_relevant", "1") in ("1", "on", "true")
    tax_flags.flag_folder_as(request.user, customer_id, request.POST.get("mailbox", ""),
                             request.POST.get("folder", ""), on)
    return redirect(f"/archive/customers/{customer_id}/folders/")
