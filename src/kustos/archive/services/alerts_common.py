"""What the archive's alerts share: who is told (mail + audit) and how silence is counted
(working days, Monday to Friday, in Europe/Berlin)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q

from kustos.accounts.models import User
from kustos.accounts.roles import Role
from kustos.core import runtime
from kustos.notify.services import events
from kustos.tenants.models import Customer

SILENT_DAYS = 2  # default of Settings.alert_silent_working_days
BERLIN = ZoneInfo("Europe/Berlin")


def working_days_between(since: datetime, now: datetime) -> int:
    """Complete working days (Mon-Fri, Europe/Berlin) after the day of ``since`` and before the day of ``now``."""
    day = since.astimezone(BERLIN).date() + timedelta(days=1)
    last = now.astimezone(BERLIN).date()
    if day >= last:
        return 0
    weeks, rest = divmod((last - day).days, 7)
    count = weeks * 5
    for offset in range(rest):
        if (day + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def silent_threshold() -> int:
    return max(1, int(runtime.settings().alert_silent_working_days))


def recipients(customer: Customer, partner_admins: bool = True) -> list[str]:
    """The partner's admins (unless ``partner_admins`` is False) and the customer's admins (active users)."""
    who = Q(role=Role.CUSTOMER_ADMIN, customer=customer)
    if partner_admins:
        who |= Q(role=Role.PARTNER_ADMIN, partner_id=customer.partner_id)
    return sorted(User.objects.filter(is_active=True).filter(who).values_list("email", flat=True))


def mail(customer: Customer, subject: str, text: str, partner_admins: bool = True) -> int:
    """Mail ``subject``/``text`` to the customer's and its partner's admins; returns how many."""
    to = recipients(customer, partner_admins)
    if to:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, to, fail_silently=True)
    return len(to)


def alert(customer: Customer, event_type: str, subject: str, text: str, detail: dict) -> int:
    """Route the alert through the partner's notification routes (``notify.services.events.emit``);
    without a route for it, mail the customer's and partner's admins as before. With a route, the
    partner's side goes where the route says and the customer's admins are still mailed. Returns how
    many were mailed."""
    emitted = events.emit(event_type, partner=customer.partner_id, customer=customer,
                          title=subject.removeprefix("[Kustos] "), detail=detail, default_mail=False)
    if not emitted.routed:
        return mail(customer, subject, text)
    return len(emitted.mailed) + mail(customer, subject, text, partner_admins=False)
