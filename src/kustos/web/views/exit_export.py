"""The dashboard action "Exit export" on a customer (partner admins, operators; audited): start the
export job, follow its progress, download a finished export as a ZIP stream. Thin:
``archive.exit_export.service`` does the work, ``accounts.access`` decides who may."""

from __future__ import annotations

from django.contrib import messages as ui
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kustos.archive.exit_export import service
from kustos.web.client_address import client_ip
from kustos.web.htmx import render_page


@login_required
@require_http_methods(["GET", "POST"])
def exit_export_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    if request.method == "POST":
        job = service.start_as(request.user, customer_id, client_ip(request))
        ui.success(request, _("The exit export has started; it continues where it stopped if it is interrupted."))
        return redirect(f"/customers/{customer_id}/exit-export/?job={job.id}")
    customer, jobs = service.exports_of(request.user, customer_id)
    return render_page(request, "kustos/customers/exit_export.html", "kustos/customers/_exit_export_jobs.html",
                       {"customer": customer, "jobs": jobs, "running": any(not j.done for j in jobs)})


@login_required
@require_GET
def exit_export_download(request: HttpRequest, customer_id: str, job_id: str) -> HttpResponse:
    try:
        name, chunks = service.download_as(request.user, customer_id, job_id, client_ip(request))
    except service.ExitExportError as exc:
        raise Http404(str(exc)) from exc
    resp = StreamingHttpResponse(chunks, content_type="application/zip")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    resp["Cache-Control"] = "private, no-store"
    return resp
