"""Template context: the navigation a user's role may see."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.accounts.roles import Role

_NAV = [
    ("/", _("Overview"), None),
    ("/partners/", _("Partners"), Perm.PARTNER_VIEW),
    ("/customers/", _("Customers"), Perm.CUSTOMER_VIEW),
    ("/archive/search/", _("Archive search"), Perm.ARCHIVE_SEARCH),
    ("/archive/saved-searches/", _("Saved searches"), Perm.ARCHIVE_SEARCH),
    ("/users/", _("Users"), Perm.USER_VIEW),
    ("/jobs/", _("Jobs"), Perm.JOB_VIEW),
    ("/audit/", _("Audit log"), Perm.AUDIT_VIEW),
    ("/notifications/", _("Notifications"), Perm.NOTIFY_MANAGE),
    ("/sso-settings/", _("Single sign-on"), Perm.USER_MANAGE),
    ("/prices/", _("Price list"), Perm.PRICE_VIEW),
    ("/billing/", _("Billing"), Perm.BILLING_STATEMENT),
    ("/locations/", _("Storage locations"), Perm.LOCATION_MANAGE),
    ("/health/", _("Installation health"), Perm.INSTALLATION_HEALTH),
    ("/account/", _("My account"), None),
    ("/help/", _("Help"), None),
]


def _exists(url: str) -> bool:
    """Entries of areas not installed yet (e.g. archive search) are hidden rather than linking to a 404."""
    try:
        resolve(url)
    except Resolver404:
        return False
    return True


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [(url, label) for url, label, perm in _NAV if (perm is None or access.has_perm(user, perm)) and _exists(url)]
    return {"nav": items, "current_path": request.path, "scope_label": scope_label(user)}


SCOPE_NAMES = 3


def scope_label(user) -> str:
    """What the user sees, for the header: the installation, a partner, a customer, or an
    auditor's granted customers (with their partner)."""
    if user.role == Role.OPERATOR:
        return str(_("Installation"))
    if user.partner_id:
        return user.partner.name
    if user.customer_id:
        return user.customer.name
    if user.role == Role.AUDITOR:
        granted = list(access.customers_for(user).order_by("name")[:SCOPE_NAMES + 1])
        if not granted:
            return str(_("no customer granted"))
        names = ", ".join(f"{c.name} ({c.partner.name})" for c in granted[:SCOPE_NAMES])
        more = access.customers_for(user).count() - SCOPE_NAMES if len(granted) > SCOPE_NAMES else 0
        return str(_("%(names)s and %(n)d more") % {"names": names, "n": more}) if more else names
    return ""
