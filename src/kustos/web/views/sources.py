"""Sources per customer: list with status, add, bulk-add from CSV, edit, test, pause/resume,
run now, remove. Thin views over ``kustos.archive.services.sources``; the kinds and their forms
come from ``kustos.sources.kinds.registry`` (no kind is named here)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Source
from kustos.archive.services import alerts
from kustos.archive.services import sources as source_service
from kustos.sources.kinds import registry
from kustos.sources.kinds.fields import Kind, pick
from kustos.tenants.models import Customer
from kustos.web.views import sources_cleanup, sources_forms

BADGE = {"ok": "ok", "warning": "warn", "failing": "danger", "paused": "muted", "pending": "info"}


def _source(user: Any, customer_id: str, source_id: str, perm: Perm) -> tuple[Customer, Source]:
    customer = access.get_customer(user, customer_id, perm)
    source = Source.objects.filter(customer=customer, id=source_id).select_related("customer").first()
    if source is None:
        raise Http404("no such source")
    return customer, source


def _kinds() -> list[tuple[str, str]]:
    language = get_language()
    return [(k.name, pick(language, k.label, k.label_de)) for k in registry.all_kinds()]


def _hint(kind: Kind) -> dict[str, Any]:
    """The text beside the form: the kind's label, description and setup steps in the request's language."""
    language = get_language()
    return {"label": pick(language, kind.label, kind.label_de),
            "description": pick(language, kind.description, kind.description_de),
            "steps": [pick(language, en, de) for en, de in kind.steps], "backup": "backup" in kind.services}


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
        rows.append({**info, "badge": BADGE.get(info["status"], "muted"), "can_clean": sources_cleanup.can_clean(source)})
    context = {"customer": customer, "sources": rows,
               "alerts": alerts.open_alerts(Customer.objects.filter(id=customer.id)),
               "can_manage": access.has_perm(user, Perm.SOURCE_MANAGE)}
    return render(request, "kustos/sources/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def source_add(request: HttpRequest, customer_id: str) -> HttpResponse:
    user = request.user
    customer = access.get_customer(user, customer_id, Perm.SOURCE_MANAGE)
    kinds = _kinds()
    kind_name = request.POST.get("kind") or request.GET.get("kind") or kinds[0][0]
    if kind_name not in registry.KINDS:
        raise Http404("unknown source kind")
    kind = registry.get(kind_name)
    form = sources_forms.build(kind, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = source_service.add(customer, kind.name, form.config(), form.secret(),
                                        name=form.cleaned_data.get("name") or "",
                                        interval_minutes=form.cleaned_data["interval_minutes"], actor=user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            if "archive" in kind.services:
                messages.success(request, _("Source “%(name)s” added. Test the connection, then it runs on its "
                                            "schedule.") % {"name": source.name})
            else:  # backup only: nothing runs until a backup plan exists
                messages.success(request, _("Source “%(name)s” added. Test the connection, then enable its backup.")
                                 % {"name": source.name})
            return _back(customer)
    context = {"customer": customer, "form": form, "kind": kind.name, "kinds": kinds, "hint": _hint(kind),
               "creating": True}
    return render(request, "kustos/sources/form.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    user = request.user
    customer, source = _source(user, customer_id, source_id, Perm.SOURCE_MANAGE)
    kind = source_service.kind_of(source.kind)
    form = sources_forms.build(kind, request.POST or None, request.FILES or None,
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
    context = {"customer": customer, "form": form, "kind": source.kind, "hint": _hint(kind), "source": source,
               "info": source_service.public(source)}
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
    return render(request, "kustos/sources/remove.html", {"customer": customer, "source": source,
                                                          "info": source_service.public(source)})


@login_required
@require_http_methods(["GET", "POST"])
def source_bulk(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Many mailboxes from one CSV; nothing is added unless every line is valid."""
    user = request.user
    customer = access.get_customer(user, customer_id, Perm.SOURCE_MANAGE)
    form = sources_forms.BulkForm(request.POST or None, request.FILES or None)
    line_errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            entries = source_service.add_bulk(customer, form.text(), actor=user)
        except source_service.MailboxCsvError as exc:
            line_errors = exc.errors
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)d mailboxes added.") % {"n": len(entries)})
            return _back(customer)
    status = 400 if (form.errors or line_errors) else 200
    return render(request, "kustos/sources/bulk.html", {"customer": customer, "form": form, "line_errors": line_errors},
                  status=status)
