"""Dashboard: the Integrity page of a customer ("Verify now", the state of the time-stamp
evidence with a banner when a TSA certificate expires soon) and the court bundle download from
the search page. Thin: ``archive.services.verify_archive``, ``evidence_renewal``, ``evidence_bundle``.
"""

from __future__ import annotations

from django.contrib import messages as messages_ui
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import evidence_bundle, evidence_renewal, export_files, verify_archive
from kustos.archive.services import search as search_service
from kustos.search import InvalidRequest, QuerySyntaxError
from kustos.vault.errors import VaultError
from kustos.web.views.archive import SearchForm


@login_required
@require_GET
def integrity_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.COMPLIANCE_VIEW)
    try:
        status = evidence_renewal.status(customer)
        status_error = ""
    except VaultError as exc:
        status, status_error = None, str(exc)
    return render(request, "kustos/archive/integrity.html", {
        "customer": customer, "last": verify_archive.last_result(customer), "status": status,
        "status_error": status_error})


@login_required
@require_POST
def integrity_verify(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.COMPLIANCE_VIEW)
    started = verify_archive.request(customer, actor=request.user)
    if "job" in started:
        return redirect(f"/jobs/{started['job']}/")
    result = started["result"]
    if result["ok"]:
        messages_ui.success(request, _("Verified: every message is intact and accounted for."))
    else:
        messages_ui.error(request, _("Verification found problems; they are listed below."))
    return redirect(f"/customers/{customer.id}/integrity/")


@login_required
@require_POST
def export_evidence(request: HttpRequest) -> HttpResponse:
    """POST (CSRF) the search parameters; answers the court bundle of every result the user may see."""
    form = SearchForm.from_params(request.POST)
    customer = access.get_customer(request.user, form.customer, Perm.ARCHIVE_EXPORT)
    scope = search_service.download_scope_for(request.user, customer)
    path = export_files.new_path(customer.id, f"evidence-{customer.id}.zip")
    try:
        result = evidence_bundle.export_zip(customer, form.query(), scope, path, actor=request.user,
                                            user=request.user)
    except (QuerySyntaxError, InvalidRequest, evidence_bundle.EvidenceError) as exc:
        export_files.discard(path)
        messages_ui.error(request, str(exc))
        return redirect("/archive/search/" + form.params())
    resp = FileResponse(export_files.open_once(path), as_attachment=True, filename=path.name,
                        content_type="application/zip")
    resp["X-Export-Count"] = str(result["messages"])
    resp["X-Content-SHA256"] = result["sha256"]
    return resp
