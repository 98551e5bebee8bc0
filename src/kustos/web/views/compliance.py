"""Compliance documents page per customer: the procedure documentation's versions (create the
current one, download any version byte-identical) and the Art. 30 record download."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.compliance.services import art30, procedure_doc
from kustos.compliance.services.facts import InstallationFacts
from kustos.compliance.services.html import to_html


@login_required
@require_GET
def compliance_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.PROCEDURE_DOC_READ)
    docs = procedure_doc.versions(customer)
    context = {
        "customer": customer, "versions": docs, "latest": docs[0] if docs else None,
        "latest_html": to_html(docs[0].content) if docs else "",
        "can_manage": access.has_perm(request.user, Perm.COMPLIANCE_MANAGE),
        "can_art30": access.has_perm(request.user, Perm.COMPLIANCE_VIEW),
    }
    return render(request, "kustos/compliance/documents.html", context)


@login_required
@require_POST
def procedure_doc_create(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.COMPLIANCE_MANAGE)
    doc, created = procedure_doc.create(customer, InstallationFacts.from_settings(settings.KUSTOS), actor=request.user)
    if created:
        messages.success(request, _("Version %(version)s stored.") % {"version": doc.version})
    else:
        messages.info(request, _("The configuration is unchanged: version %(version)s is current.")
                      % {"version": doc.version})
    return redirect(f"/customers/{customer.id}/compliance/")


@login_required
@require_GET
def procedure_doc_download(request: HttpRequest, customer_id: str, version: int) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.PROCEDURE_DOC_READ)
    doc = procedure_doc.get(customer, version)
    resp = HttpResponse(procedure_doc.payload(doc), content_type="text/markdown; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{procedure_doc.download_name(doc)}"'
    return resp


@login_required
@require_GET
def art30_download(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.COMPLIANCE_VIEW)
    fmt = "json" if request.GET.get("format") == "json" else "md"
    data = art30.export(customer, InstallationFacts.from_settings(settings.KUSTOS), actor=request.user, fmt=fmt)
    resp = HttpResponse(data, content_type="application/json" if fmt == "json" else "text/markdown; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="art30-{customer.id}.{fmt}"'
    return resp
