"""Users within the caller's scope: list, create (invited by e-mail), change role,
(de)activate, and auditor grants."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kustos.accounts import access
from kustos.accounts.access import MANAGEABLE_ROLES, Perm
from kustos.accounts.roles import PARTNER_ROLES, Role
from kustos.accounts.services import grants, passwords, twofactor, users
from kustos.audit import services as audit
from kustos.web import tables
from kustos.web.forms import ActiveForm, GrantForm, GrantRevokeForm, RoleForm, UserForm
from kustos.web.htmx import render_page

SORTS = {"email": "email", "name": "name", "role": "role", "created": "created_at"}


@login_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.USER_VIEW)
    qs = access.users_for(request.user).select_related("partner", "customer")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(email__icontains=q) | Q(name__icontains=q))
    if request.GET.get("role") in Role.values:
        qs = qs.filter(role=request.GET["role"])
    context = {"table": tables.build(request, qs, SORTS, "email"),
               "can_manage": access.has_perm(request.user, Perm.USER_MANAGE)}
    return render_page(request, "kustos/users/list.html", "kustos/users/_table.html", context)


def _invite(request: HttpRequest, email: str) -> None:
    """Send the new user a link to choose a password (built from KUSTOS_BASE_URL, not the request)."""
    passwords.send_reset(email, invitation=True)


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    actor = request.user
    access.require(actor, Perm.USER_MANAGE)
    form = UserForm(request.POST or None, actor=actor,
                    partners=access.partners_for(actor) if actor.role == Role.OPERATOR else None,
                    customers=access.customers_for(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        role, customer = data["role"], data.get("customer")
        partner = data.get("partner")
        if partner is None and role in PARTNER_ROLES:
            partner = actor.partner
        if customer is None and actor.role == Role.CUSTOMER_ADMIN:
            customer = actor.customer
        try:
            access.check_can_assign(actor, role, getattr(partner, "id", None), getattr(customer, "id", None))
            user = users.create(data["email"], role, password=users.generate_password(), partner=partner,
                                customer=customer, name=data["name"], mailboxes=form.mailbox_list(), actor=actor)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            _invite(request, user.email)
            messages.success(request, _("User %(email)s created; an e-mail with a link to set the password "
                                        "was sent.") % {"email": user.email})
            return redirect(f"/users/{user.id}/")
    return render(request, "kustos/users/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    actor = request.user
    target = access.get_user(actor, user_id, Perm.USER_VIEW)
    can_manage = (target.id != actor.id and access.has_perm(actor, Perm.USER_MANAGE)
                  and target.role in MANAGEABLE_ROLES.get(actor.role, frozenset()))
    allowed = MANAGEABLE_ROLES.get(actor.role, frozenset())
    context = {
        "target": target, "can_manage": can_manage,
        "role_form": RoleForm(initial={"role": target.role}),
        "role_choices": [(v, label) for v, label in Role.choices if v in allowed],
        "grants": target.grants.select_related("customer").filter(customer__in=access.customers_for(actor)),
        "grant_form": GrantForm(customers=access.customers_for(actor)) if target.role == Role.AUDITOR else None,
        "has_device": twofactor.confirmed_device(target) is not None,
    }
    return render(request, "kustos/users/detail.html", context)


def _managed_target(request: HttpRequest, user_id: str):
    actor = request.user
    target = access.get_user(actor, user_id, Perm.USER_MANAGE)
    access.require(actor, Perm.USER_MANAGE)
    if target.id == actor.id:
        raise PermissionDenied("you cannot change your own role or deactivate yourself")
    access.check_can_assign(actor, target.role, target.partner_id, target.customer_id)
    return target


@login_required
@require_POST
def user_role(request: HttpRequest, user_id: str) -> HttpResponse:
    target = _managed_target(request, user_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        access.check_can_assign(request.user, form.cleaned_data["role"], target.partner_id, target.customer_id)
        try:
            users.change_role(target, form.cleaned_data["role"], actor=request.user)
            messages.success(request, _("Role changed."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect(f"/users/{target.id}/")


@login_required
@require_POST
def user_active(request: HttpRequest, user_id: str) -> HttpResponse:
    target = _managed_target(request, user_id)
    form = ActiveForm(request.POST)
    form.is_valid()
    active = bool(form.cleaned_data.get("active"))
    users.set_active(target, active, actor=request.user)
    messages.success(request, _("User activated.") if active else _("User deactivated; they can no longer sign in."))
    return redirect(f"/users/{target.id}/")


@login_required
@require_POST
def user_reset_2fa(request: HttpRequest, user_id: str) -> HttpResponse:
    """A user lost their authenticator: remove the device so they set up a new one at sign-in."""
    target = _managed_target(request, user_id)
    removed = twofactor.reset(target)
    audit.record("auth.2fa_reset", actor=request.user, customer=target.customer, partner=target.partner_id or "",
                 target=target.id, detail={"devices": removed})
    messages.success(request, _("Two-factor authentication was reset; the user sets it up again at the next "
                                "sign-in."))
    return redirect(f"/users/{target.id}/")


@login_required
@require_POST
def user_grant(request: HttpRequest, user_id: str) -> HttpResponse:
    """Give an auditor read access to one customer for a mail date range until an expiry."""
    actor = request.user
    target = access.get_user(actor, user_id, Perm.USER_MANAGE)
    access.check_can_assign(actor, Role.AUDITOR, None, None)
    form = GrantForm(request.POST, customers=access.customers_for(actor))
    if not form.is_valid():
        messages.error(request, _("The grant was not saved: %(errors)s")
                       % {"errors": "; ".join(e for errs in form.errors.values() for e in errs)})
        return redirect(f"/users/{target.id}/")
    data = form.cleaned_data
    access.check_can_assign(actor, Role.AUDITOR, None, data["customer"].id)
    try:
        users.grant(target, data["customer"], expires_at=data["expires_at"], date_from=data["date_from"],
                    date_to=data["date_to"], tax_relevant_only=data["tax_relevant_only"],
                    mailboxes=grants.clean_mailboxes(form.mailbox_list()), actor=actor)
        messages.success(request, _("Access granted."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"/users/{target.id}/")


@login_required
@require_POST
def user_grant_revoke(request: HttpRequest, user_id: str) -> HttpResponse:
    """End an auditor's access to one customer now (POST ``customer``)."""
    actor = request.user
    target = access.get_user(actor, user_id, Perm.USER_MANAGE)
    form = GrantRevokeForm(request.POST)
    if not form.is_valid():
        access.require(actor, Perm.USER_MANAGE)
        messages.error(request, _("Choose the grant to revoke."))
        return redirect(f"/users/{target.id}/")
    grants.revoke(access.get_grant(actor, target.id, form.cleaned_data["customer"]), actor=actor)
    messages.success(request, _("Access revoked."))
    return redirect(f"/users/{target.id}/")
