"""Customers: the partner's main table (search, sort, page via htmx), create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.accounts.roles import Role
from kustos.tenants.models import Customer
from kustos.tenants.services import customers, locations, stats
from kustos.web import tables
from kustos.web.forms import CustomerForm, DeleteCustomerForm
from kustos.web.htmx import render_page

SORTS = {"name": "name", "partner": "partner__name", "storage": "storage_bytes", "mailboxes": "mailbox_count",
         "activity": "last_archived_at", "status": "status"}
FIELDS = ("name", "legal_name", "customer_number", "notes", "archiving_enabled", "backup_enabled")


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.CUSTOMER_VIEW)
    qs = access.customers_for(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(legal_name__icontains=q) | Q(customer_number__icontains=q)
                       | Q(partner__name__icontains=q))
    context = {
        "table": tables.build(request, stats.customers_with_health(qs), SORTS, "name"),
        "show_partner": request.user.role == Role.OPERATOR,
        "can_create": access.has_perm(request.user, Perm.CUSTOMER_CREATE),
        "total": access.customers_for(request.user).count(),
    }
    return render_page(request, "kustos/customers/list.html", "kustos/customers/_table.html", context)


def _partner_choices(user):
    return access.partners_for(user) if user.role == Role.OPERATOR else None


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.CUSTOMER_CREATE)
    form = CustomerForm(request.POST or None, partners=_partner_choices(user),
                        initial={"location": locations.default(), "archiving_enabled": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        partner = data["partner"] if "partner" in data else user.partner
        try:
            customer = customers.create(partner, data["name"], location=data["location"], actor=user,
                                        **{k: data[k] for k in FIELDS if k != "name"})
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Customer “%(name)s” created.") % {"name": customer.name})
            return redirect(f"/customers/{customer.id}/")
    return render(request, "kustos/customers/form.html", {"form": form, "creating": True},
                  status=400 if form.errors else 200)


@login_required
@require_GET
def customer_detail(request: HttpRequest, customer_id: str) -> HttpResponse:
    user = request.user
    customer = access.get_customer(user, customer_id, Perm.CUSTOMER_VIEW)
    context = {
        "customer": customer,
        "health": stats.health(customer),
        "users": access.users_for(user).filter(customer=customer)[:20]
        if access.has_perm(user, Perm.USER_VIEW) else [],
        "jobs": access.jobs_for(user).filter(customer_id=customer.id)[:10]
        if access.has_perm(user, Perm.JOB_VIEW) else [],
        "can_edit": access.has_perm(user, Perm.CUSTOMER_EDIT),
        "can_delete": access.has_perm(user, Perm.CUSTOMER_DELETE) and customer.status == Customer.Status.ACTIVE,
        "can_hold": access.has_perm(user, Perm.LEGAL_HOLD),
        "can_retention": access.has_perm(user, Perm.RETENTION_VIEW),
        "can_export_key": access.has_perm(user, Perm.CUSTOMER_KEY_EXPORT),
        "can_exit_export": access.has_perm(user, Perm.CUSTOMER_EXIT_EXPORT),
    }
    return render(request, "kustos/customers/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.CUSTOMER_EDIT)
    form = CustomerForm(request.POST or None, editing=True, initial={k: getattr(customer, k) for k in FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            customers.update(customer, {k: form.cleaned_data[k] for k in FIELDS}, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Changes saved."))
            return redirect(f"/customers/{customer.id}/")
    return render(request, "kustos/customers/form.html", {"form": form, "customer": customer},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def customer_delete(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Typed confirmation, then the irreversible wipe runs as a job; the user watches the job."""
    customer = access.get_customer(request.user, customer_id, Perm.CUSTOMER_DELETE)
    form = DeleteCustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if customer.status != Customer.Status.ACTIVE:
            form.add_error(None, _("The deletion of this customer is already running."))
        elif form.cleaned_data["confirm"].strip() != customer.name:
            form.add_error("confirm", _("The name does not match. Type it exactly as shown."))
        else:
            job = customers.request_deletion(customer, confirmation=form.cleaned_data["confirm"],
                                             actor=request.user)
            messages.warning(request, _("Deletion of “%(name)s” started. It cannot be undone.")
                             % {"name": customer.name})
            return redirect(f"/jobs/{job.id}/")
    return render(request, "kustos/customers/delete.html", {"customer": customer, "form": form},
                  status=400 if form.errors else 200)
