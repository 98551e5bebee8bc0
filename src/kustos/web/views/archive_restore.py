"""Dashboard "Restore to mailbox": a message (from its page) or a search result (the selection or all of
it) goes back into a mailbox through the customer's source; the job page shows progress and the report.

Thin: who may restore what, the selection, the target source and the audit entry are the business of
``kustos.archive.services.mailbox_restore``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import mailbox_restore
from kustos.web.views.archive import SearchForm

FIELDS = ("customer", "query", "mailbox", "folder", "to_mailbox", "to_folder", "source")


def _selection(params: QueryDict) -> dict[str, Any]:
    """What to restore, from the message page (``ids``) or the search toolbar (its parameters and
    ``scope=selected|all``) or the folder tree (``scope=folder|mailbox`` with ``mailbox`` and ``folder``)
    or the restore form itself (``query``)."""
    ids = [i for i in params.getlist("ids") if i.strip()]
    if "query" in params or "to_mailbox" in params:  # the restore form posts its own fields
        return {"customer": params.get("customer", "").strip(), "ids": ids,
                **{k: params.get(k, "").strip() for k in FIELDS[1:]}}
    if params.get("scope") in ("folder", "mailbox"):  # the folder tree: one folder or a whole mailbox
        return {"customer": params.get("customer", "").strip(), "ids": [], "query": "",
                "mailbox": params.get("mailbox", "").strip(),
                "folder": params.get("folder", "").strip() if params.get("scope") == "folder" else "",
                "to_mailbox": "", "to_folder": "", "source": ""}
    form = SearchForm.from_params(params)
    if params.get("scope") == "selected" or (ids and params.get("scope") != "all"):
        return {"customer": form.customer, "ids": ids, "query": "", "mailbox": "", "folder": "", "to_mailbox": "",
                "to_folder": "", "source": ""}
    return {"customer": form.customer, "ids": [], "query": form.query() or "*", "mailbox": form.mailbox,
            "folder": "", "to_mailbox": "", "to_folder": "", "source": ""}


def _page(request: HttpRequest, selection: dict[str, Any], error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    customer = access.get_customer(user, selection["customer"], Perm.ARCHIVE_RESTORE)
    access.require_self_service(user, customer, "restore")
    own = access.visibility(user, customer).allowed_mailboxes
    context = {"customer": customer, "sel": selection, "error": error, "own_mailboxes": own,
               "count": len(selection["ids"])}
    return render(request, "kustos/archive/restore.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def restore_form(request: HttpRequest) -> HttpResponse:
    """The form: target mailbox and folder for the selection (GET from a message, POST from a search)."""
    params = request.POST if request.method == "POST" else request.GET
    return _page(request, _selection(params))


@login_required
@require_POST
def restore_start(request: HttpRequest) -> HttpResponse:
    """Start the restore job and go to its page."""
    selection = _selection(request.POST)
    try:
        job = mailbox_restore.request_as(
            request.user, selection["customer"], origin="dashboard", message_ids=selection["ids"],
            query=selection["query"], mailbox=selection["mailbox"], folder=selection["folder"],
            to_mailbox=selection["to_mailbox"],
            to_folder=selection["to_folder"], source=selection["source"])
    except ValidationError as exc:
        return _page(request, selection, "; ".join(exc.messages), status=400)
    return redirect(f"/archive/customers/{job.customer_id}/restore/{job.id}/")


@login_required
@require_GET
def restore_status(request: HttpRequest, customer_id: str, job_id: str) -> HttpResponse:
    """The restore job: state, progress and, once done, the report."""
    job = mailbox_restore.job_as(request.user, customer_id, job_id)
    return render(request, "kustos/archive/restore_status.html", {"job": job, "report": job.result or {},
                                                                  "customer_id": customer_id})
