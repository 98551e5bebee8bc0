"""Archive sources per customer: list with status, add, bulk-add from CSV, edit, test,
pause/resume, run now, remove. Thin views over ``kustos.archive.services.sources``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Source
from kustos.archive.services import alerts
from kustos.archive.services import sources as source_service
from kustos.sources.imap.bulk import MailboxCsvError, parse_mailbox_csv
from kustos.tenants.models import Customer
from kustos.web.views import sources_forms

KINDS = [("imap", "IMAP"), ("pop3", "POP3"), ("graph", "Microsoft 365"), ("gmail", "Google Workspace")]
BADGE = {"ok": "ok", "warning": "warn", "failing": "danger", "paused": "muted", "pending": "info"}


def _source(user: Any, customer_id: str, source_id: str, perm: Perm) -> tuple[Customer, Source]:
    customer = access.get_customer(user, customer_id, perm)
    source = Source.objects.filter(customer=customer, id=source_id).select_related("customer").first()
    if source is None:
        raise Http404("no such source")
    return customer, source


def _back(customer: Customer) -> HttpResponse:
    return redirect(f"/customers/{customer.id}/sources/")


@login_required
@require_GET
def source_list(request: HttpRequest, customer_id: str) -> HttpResponse:
    user = request.user
    customer = access.get_customer(user, customer_id, Perm.SOURCE_VIEW)
    rows = []
    for source in Source.objects.filter(customer=customer).order_by("name"):
        info = source_service.public(source)
        rows.append({**info, "badge": BADGE.get(info["status"], "muted"), "kind_label": source.get_kind_display()})
    context = {"customer": customer, "sources": rows, "kinds": KINDS,
               "alerts": alerts.open_alerts(Customer.objects.filter(id=customer.id)),
               "can_manage": access.has_perm(user, Perm.SOURCE_MANAGE)}
    return render(request, "kustos/sources/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def source_add(request: HttpRequest, customer_id: str) -> HttpResponse:
    user = request.user
    customer = access.get_customer(user, customer_id, Perm.SOURCE_MANAGE)
    kind = request.POST.get("kind") or request.GET.get("kind") or "imap"
    if kind not in dict(KINDS):
        raise Http404("unknown source kind")
    form = sources_forms.build(kind, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = source_service.add(customer, kind, form.config(), form.secret(),
                                        name=form.cleaned_data.get("name") or "",
                                        interval_minutes=form.cleaned_data["interval_minutes"], actor=user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Source “%(name)s” added. Test the connection, then it runs on its "
                                        "schedule.") % {"name": source.name})
            return _back(customer)
    context = {"customer": customer, "form": form, "kind": kind, "kinds": KINDS, "creating": True}
    return render(request, "kustos/sources/form.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    user = request.user
    customer, source = _source(user, customer_id, source_id, Perm.SOURCE_MANAGE)
    form = sources_forms.build(source.kind, request.POST or None, request.FILES or None,
                               initial=sources_forms.initial_for(source), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data.get("name"):
                source.name = form.cleaned_data["name"]
            source_service.update(source, form.config(), form.secret() or None,
                                  interval_minutes=form.cleaned_data["interval_minutes"], actor=user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Changes saved."))
            return _back(customer)
    context = {"customer": customer, "form": form, "kind": source.kind, "source": source}
    return render(request, "kustos/sources/form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def source_test(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.SOURCE_MANAGE)
    result = source_service.test(source)
    if result["ok"]:
        messages.success(request, _("Connection to “%(name)s” works.") % {"name": source.name})
    else:
        messages.error(request, _("Connection to “%(name)s” failed: %(error)s")
                       % {"name": source.name, "error": result["error"]})
    return _back(customer)


@login_required
@require_POST
def source_pause(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.SOURCE_MANAGE)
    source_service.update(source, paused=not source.paused, actor=request.user)
    messages.success(request, (_("“%(name)s” paused.") if source.paused else _("“%(name)s” resumed."))
                     % {"name": source.name})
    return _back(customer)


@login_required
@require_POST
def source_run(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    _customer, source = _source(request.user, customer_id, source_id, Perm.SOURCE_MANAGE)
    job = source_service.run_now(source, actor=request.user)
    messages.info(request, _("Run of “%(name)s” started.") % {"name": source.name})
    return redirect(f"/jobs/{job.id}/")


@login_required
@require_http_methods(["GET", "POST"])
def source_remove(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.SOURCE_MANAGE)
    if request.method == "POST":
        name = source.name
        source_service.remove(source, actor=request.user)
        messages.success(request, _("Source “%(name)s” removed. Its archived mail stays in the archive.")
                         % {"name": name})
        return _back(customer)
    return render(request, "kustos/sources/remove.html", {"customer": customer, "source": source})


@login_required
@require_http_methods(["GET", "POST"])
def source_bulk(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Many IMAP/POP3 mailboxes from one CSV; nothing is added unless every line is valid."""
    user = request.user
    customer = access.get_customer(user, customer_id, Perm.SOURCE_MANAGE)
    form = sources_forms.BulkForm(request.POST or None, request.FILES or None)
    line_errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            entries = parse_mailbox_csv(form.text())
            if not entries:
                raise MailboxCsvError([(0, _("the file contains no mailboxes"))])
            with transaction.atomic():
                for entry in entries:
                    kind, password = entry.pop("kind"), entry.pop("password")
                    source_service.add(customer, kind, entry, password, actor=user)
        except MailboxCsvError as exc:
            line_errors = exc.errors
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)d mailboxes added.") % {"n": len(entries)})
            return _back(customer)
    status = 400 if (form.errors or line_errors) else 200
    return render(request, "kustos/sources/bulk.html", {"customer": customer, "form": form, "line_errors": line_errors},
                  status=status)
