"""Dashboard "Z3 export": the search's current query as one ZIP for a tax audit (GDPdU).

Thin: the selection, the user's visibility (an auditor's grant) and the audit entry are the
business of ``kustos.archive.services.z3``.
"""

from __future__ import annotations

from django.contrib import messages as messages_ui
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import export_files, z3
from kustos.archive.services import search as search_service
from kustos.search import InvalidRequest, QuerySyntaxError
from kustos.web.views.archive import SearchForm


@login_required
@require_POST
def export_z3(request: HttpRequest) -> HttpResponse:
    """POST (CSRF) the search parameters; answers the Z3 ZIP of every result the user may see."""
    form = SearchForm.from_params(request.POST)
    customer = access.get_customer(request.user, form.customer, Perm.ARCHIVE_EXPORT)
    scope = search_service.download_scope_for(request.user, customer)
    path = export_files.new_path(customer.id, f"z3-{customer.id}.zip")
    try:
        result = z3.export_zip(customer, form.query(), scope, path, actor=request.user)
    except (QuerySyntaxError, InvalidRequest) as exc:
        export_files.discard(path)
        messages_ui.error(request, str(exc))
        return redirect("/archive/search/" + form.params())
    resp = FileResponse(export_files.open_once(path), as_attachment=True, filename=path.name,
                        content_type="application/zip")
    resp["X-Export-Count"] = str(result["messages"])
    resp["X-Content-SHA256"] = result["sha256"]
    return resp
