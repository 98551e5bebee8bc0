"""SSO settings pages: a partner's (its staff) and a customer's (its admins and end users) identity
providers, add/edit/enable/disable/remove, "test connection", and the sign-in policy. Thin: every change
goes through ``sso.services.admin``, ``connection_test`` and ``signin_policy`` (which check the scope)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib import messages as ui
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kustos.sso.models import IdentityProvider
from kustos.sso.services import admin, connection_test, signin_policy
from kustos.sso.web.forms import PolicyForm, ProviderForm
from kustos.tenants.models import Customer

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=8)
def _template(name: str):
    return engines["django"].from_string((TEMPLATES / name).read_text(encoding="utf-8"))


def _render(request: HttpRequest, name: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(_template(name).render(context, request), status=status)


def _owner_url(owner: Any) -> str:
    return f"/customers/{owner.id}/sso/" if isinstance(owner, Customer) else f"/partners/{owner.id}/sso/"


def _errors(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


def _groups(form: ProviderForm) -> list[tuple[str, list]]:
    """The add form's fields in fieldsets (legend, bound fields)."""
    return [(legend, [form[name] for name in names]) for legend, names in (
        ("", ("kind", "name")),
        (_("OpenID Connect (Entra ID, Google, other)"),
         ("client_id", "secret", "discovery_url", "tenant_ids", "hosted_domain")),
        (_("LDAP / Active Directory"), ("ldap_url", "start_tls", "search_base", "user_filter", "bind_dn", "group_base")),
        (_("Users and roles"), ("email_domains", "create_users", "default_role", "role_map", "show_on_login")),
    )]


def _owner_page(request: HttpRequest, owner: Any) -> HttpResponse:
    roles = admin.roles_for(owner)
    form = ProviderForm(request.POST or None, roles=roles, initial={"show_on_login": True})
    if request.method == "POST" and request.POST.get("form") == "add":
        if form.is_valid():
            try:
                provider = admin.create(owner, kind=form.chosen_kind(), name=form.cleaned_data["name"],
                                        config=form.config(), secret=form.cleaned_data["secret"], actor=request.user)
                ui.success(request, _("Identity provider “%(name)s” added.") % {"name": provider.name})
                return redirect(_owner_url(owner))
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
    elif request.method == "POST":
        ui.error(request, _("Nothing was saved: send the form."))
        return redirect(_owner_url(owner))
    policy = signin_policy.as_dict(owner)
    context = {
        "owner": owner, "owner_kind": policy["owner_kind"], "owner_url": _owner_url(owner),
        "providers": list(admin.list_for(owner)), "form": form, "groups": _groups(form),
        "policy": policy, "policy_form": PolicyForm(initial=policy),
        "customers": list(owner.customers.order_by("name")) if policy["owner_kind"] == "partner" else [],
    }
    return _render(request, "owner.html", context, status=200)


@login_required
@require_GET
def settings_home(request: HttpRequest) -> HttpResponse:
    """The navigation's "Single sign-on": the caller's own customer or partner, operators pick a partner."""
    return redirect(admin.home_url(request.user))


@login_required
@require_http_methods(["GET", "POST"])
def partner_page(request: HttpRequest, partner_id: str) -> HttpResponse:
    return _owner_page(request, admin.partner_as(request.user, partner_id))


@login_required
@require_http_methods(["GET", "POST"])
def customer_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _owner_page(request, admin.customer_as(request.user, customer_id))


def _policy(request: HttpRequest, owner: Any) -> HttpResponse:
    form = PolicyForm(request.POST)
    if request.POST.get("form") != "policy" or not form.is_valid():
        ui.error(request, _("Nothing was saved: give the longest session in hours (1 to 720)."))
        return redirect(_owner_url(owner))
    try:
        signin_policy.update(owner, actor=request.user, local_passwords=form.cleaned_data["local_passwords"],
                             session_max_age_hours=form.cleaned_data["session_max_age_hours"])
        ui.success(request, _("Sign-in policy saved."))
    except ValidationError as exc:
        ui.error(request, _errors(exc))
    return redirect(_owner_url(owner))


@login_required
@require_POST
def partner_policy(request: HttpRequest, partner_id: str) -> HttpResponse:
    return _policy(request, admin.partner_as(request.user, partner_id))


@login_required
@require_POST
def customer_policy(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _policy(request, admin.customer_as(request.user, customer_id))


def _owner(provider: IdentityProvider) -> Any:
    return provider.customer or provider.partner


@login_required
@require_http_methods(["GET", "POST"])
def provider_page(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = admin.get_as(request.user, provider_id)
    owner = _owner(provider)
    form = ProviderForm(request.POST or None, roles=admin.roles_for(owner), kind=provider.kind,
                        initial=ProviderForm.initial_from(provider))
    if request.method == "POST" and form.is_valid():
        try:
            admin.update(provider, actor=request.user, name=form.cleaned_data["name"], config=form.config(),
                         secret=form.cleaned_data["secret"] or None)
            ui.success(request, _("Identity provider saved."))
            return redirect(_owner_url(owner))
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
    context = {"provider": provider, "owner": owner, "owner_url": _owner_url(owner), "form": form,
               "fields": form.visible_for(provider.kind)}
    return _render(request, "provider.html", context)


@login_required
@require_POST
def provider_enabled(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = admin.get_as(request.user, provider_id)
    try:
        admin.update(provider, actor=request.user, enabled=request.POST.get("enabled") == "on")
        ui.success(request, _("Identity provider saved."))
    except ValidationError as exc:
        ui.error(request, _errors(exc))
    return redirect(_owner_url(_owner(provider)))


@login_required
@require_POST
def provider_test(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = admin.get_as(request.user, provider_id)
    result = connection_test.run(provider, actor=request.user)
    text = _("Test connection of “%(name)s”: %(message)s") % {"name": provider.name, "message": result["message"]}
    (ui.success if result.get("ok") else ui.error)(request, text)
    return redirect(_owner_url(_owner(provider)))


@login_required
@require_POST
def provider_delete(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = admin.get_as(request.user, provider_id)
    owner = _owner(provider)
    try:
        admin.delete(provider, actor=request.user)
        ui.success(request, _("Identity provider removed."))
    except ValidationError as exc:
        ui.error(request, _errors(exc))
    return redirect(_owner_url(owner))
