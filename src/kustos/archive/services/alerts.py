"""Source alerts: repeated failures and sources that stopped delivering mail.

Shown as a banner in the dashboard (``open_alerts``) and mailed once per incident to
the partner's admins and the customer's admins.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from kustos.accounts.models import User
from kustos.accounts.roles import Role
from kustos.archive.models import Source
from kustos.audit import services as audit

FAILURE_THRESHOLD = 3
SILENT_DAYS = 3


def _recipients(source: Source) -> list[str]:
    customer = source.customer
    users = User.objects.filter(is_active=True).filter(
        Q(role=Role.PARTNER_ADMIN, partner_id=customer.partner_id) | Q(role=Role.CUSTOMER_ADMIN, customer=customer))
    return sorted(users.values_list("email", flat=True))


def _notify(source: Source, subject: str, text: str) -> None:
    recipients = _recipients(source)
    if recipients:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True)
    Source.objects.filter(id=source.id).update(alerted_at=timezone.now())
    audit.record("source.alert", actor="system", customer=source.customer, target=source.id,
                 detail={"subject": subject, "recipients": len(recipients)})


def source_failed(source: Source) -> None:
    if source.consecutive_failures >= FAILURE_THRESHOLD and source.alerted_at is None:
        _notify(source, f"[Kustos] archive source {source.name} of {source.customer.name} is failing",
                f"The archive source {source.name} ({source.kind}) of customer {source.customer.name} failed "
                f"{source.consecutive_failures} times in a row.\n\nLast error: {source.last_error}\n")


def check_silent(now=None) -> int:
    """Alert once for active sources that ran fine but brought no mail for SILENT_DAYS days."""
    now = now or timezone.now()
    limit = now - timedelta(days=SILENT_DAYS)
    count = 0
    for source in Source.objects.filter(paused=False, alerted_at__isnull=True, last_success_at__isnull=False,
                                        created_at__lt=limit).filter(Q(last_item_at__lt=limit) | Q(last_item_at__isnull=True)):
        _notify(source, f"[Kustos] archive source {source.name} of {source.customer.name} delivers no mail",
                f"The archive source {source.name} ({source.kind}) has not delivered any mail for {SILENT_DAYS} days.\n")
        count += 1
    return count


def open_alerts(customers: Any) -> list[Source]:
    """Failing or silent sources among ``customers`` (a queryset the caller may see)."""
    return list(Source.objects.filter(customer__in=customers, paused=False)
                .filter(Q(consecutive_failures__gte=FAILURE_THRESHOLD) | Q(alerted_at__isnull=False))
                .select_related("customer"))
