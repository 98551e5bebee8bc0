"""Customer data access obtained by the operator: recorded in the audit log and shown to the
partner admins of that customer (dashboard notice and e-mail).

The operator runs the platform and has no archive permission itself; it can still obtain
access by creating a customer user or an auditor it controls, granting an auditor, or turning
a user into a customer role. Every such path runs through ``accounts.services.users`` and
calls ``record`` here, so none of them stays invisible to the partner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from kustos.accounts.models import User
from kustos.accounts.roles import Role
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent
from kustos.tenants.models import Customer

ACTION = "operator.customer_access"
# Actors with the operator's authority: an operator account, or the server's shell (`kustos` CLI).
_SHELL_ACTORS = {"cli"}


def is_operator(actor: Any) -> bool:
    if isinstance(actor, str):
        return actor in _SHELL_ACTORS
    return getattr(actor, "role", None) == Role.OPERATOR


def record(actor: Any, user: User, customer: Customer, *, via: str) -> AuditEvent | None:
    """If ``actor`` is the operator, audit that ``user`` now reaches ``customer``'s archive and
    tell the customer's partner admins by e-mail. Returns the audit event (None otherwise)."""
    if not is_operator(actor) or customer is None:
        return None
    operator = getattr(actor, "email", str(actor))
    event = audit.record(ACTION, actor=actor, customer=customer, partner=customer.partner_id, target=user.id,
                         detail={"operator": operator, "user": user.email, "role": user.role, "via": via})
    _mail_partner_admins(operator, user, customer, event.at)
    return event


def _mail_partner_admins(operator: str, user: User, customer: Customer, since: datetime) -> None:
    recipients = list(User.objects.filter(partner_id=customer.partner_id, role=Role.PARTNER_ADMIN, is_active=True)
                      .values_list("email", flat=True))
    if not recipients:
        return
    subject = _("Kustos: the operator obtained access to customer %(customer)s") % {"customer": customer.name}
    body = _("The platform operator %(operator)s gave the account %(user)s (role: %(role)s) access to the "
             "archive of your customer %(customer)s on %(since)s UTC.\n\nIf this was not agreed with you, "
             "contact the operator and remove the account in Kustos (Users).") % {
        "operator": operator, "user": user.email, "role": user.get_role_display(), "customer": customer.name,
        "since": since.astimezone(UTC).strftime("%Y-%m-%d %H:%M")}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@dataclass(frozen=True)
class Notice:
    operator: str
    user: str
    user_id: str
    role: str
    customer: str
    customer_id: str
    since: datetime


def _still_has_access(user: User | None, customer_id: str) -> bool:
    if user is None or not user.is_active:
        return False
    if user.role == Role.AUDITOR:
        return user.grants.filter(customer_id=customer_id, revoked_at__isnull=True,
                                  expires_at__gt=timezone.now()).exists()
    return user.role in (Role.CUSTOMER_ADMIN, Role.END_USER) and user.customer_id == customer_id


def notices_for(viewer: User, *, customer_id: str = "") -> list[Notice]:
    """Operator-obtained accesses that are still in effect, for a partner admin's customers."""
    if viewer.role != Role.PARTNER_ADMIN or not viewer.partner_id:
        return []
    events = AuditEvent.objects.filter(action=ACTION, partner_id=viewer.partner_id)
    if customer_id:
        events = events.filter(customer_id=customer_id)
    events = list(events.order_by("seq")[:500])
    users = User.objects.in_bulk({e.target for e in events})
    names = dict(Customer.objects.filter(id__in={e.customer_id for e in events}).values_list("id", "name"))
    first: dict[tuple[str, str], Notice] = {}  # the earliest event of an access still in effect
    for e in events:
        user = users.get(e.target)
        key = (e.target, e.customer_id)
        if key in first or not _still_has_access(user, e.customer_id):
            continue
        first[key] = Notice(operator=e.detail.get("operator", e.actor), user=user.email, user_id=user.id,
                             role=user.get_role_display(), customer=names.get(e.customer_id, e.customer_id),
                             customer_id=e.customer_id, since=e.at)
    return sorted(first.values(), key=lambda n: n.since, reverse=True)
