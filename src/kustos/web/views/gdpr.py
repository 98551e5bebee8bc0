"""Data-subject requests page per customer (requirements 22, 23): the list of requests, a form
(kind + address), a request's decisions with their reasons, and report/export downloads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import export_files
from kustos.lifecycle.models import GdprRequest
from kustos.lifecycle.services import gdpr, gdpr_report


@login_required
@require_http_methods(["GET", "POST"])
def gdpr_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.GDPR_REQUEST)
    if request.method == "POST":
        try:
            item = gdpr.run(customer, request.POST.get("kind", ""), request.POST.get("subject", ""),
                            actor=request.user)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            return redirect(f"/customers/{customer.id}/gdpr/")
        messages.success(request, _("Request recorded: %(count)d messages concern %(subject)s.")
                         % {"count": item.messages, "subject": item.subject})
        return redirect(f"/customers/{customer.id}/gdpr/{item.id}/")
    context = {"customer": customer, "requests": gdpr.requests(customer), "kinds": GdprRequest.Kind.choices}
    return render(request, "kustos/gdpr/list.html", context)


@login_required
@require_GET
def gdpr_request(request: HttpRequest, customer_id: str, request_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.GDPR_REQUEST)
    item = gdpr.get(customer, request_id)
    return render(request, "kustos/gdpr/request.html", {"customer": customer, "item": item,
                                                        "decisions": item.decisions.order_by("id")})


@login_required
@require_GET
def gdpr_report_download(request: HttpRequest, customer_id: str, request_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.GDPR_REQUEST)
    item = gdpr.get(customer, request_id)
    fmt = "html" if request.GET.get("format") == "html" else "md"
    resp = HttpResponse(gdpr_report.report(item, fmt, actor=request.user),
                        content_type="text/html; charset=utf-8" if fmt == "html" else "text/markdown; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{item.id}-report.{fmt}"'
    return resp


@login_required
@require_GET
def gdpr_export_download(request: HttpRequest, customer_id: str, request_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.GDPR_REQUEST)
    item = gdpr.get(customer, request_id)
    path = export_files.new_path(customer.id, f"{item.id}-export.zip")
    gdpr_report.export(item, path, actor=request.user)
    return FileResponse(export_files.open_once(path), as_attachment=True, filename=path.name,
                        content_type="application/zip")
