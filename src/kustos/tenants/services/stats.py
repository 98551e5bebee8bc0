"""Numbers shown on the partner and customer pages.

Every figure is a correlated subquery per row, never an aggregate over a join: a SUM
over customers joined with users (or sources) counts each customer once per user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kustos.accounts.models import User
from kustos.archive.models import Message, Source
from kustos.tenants.models import Customer, Partner


def _count(qs: QuerySet, key: str) -> Coalesce:
    return Coalesce(Subquery(qs.filter(**{key: OuterRef("pk")}).order_by().values(key)
                             .annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0)


def partners_with_totals(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    """``n_customers``, ``n_users`` (the partner's own staff) and ``storage`` (bytes) per partner."""
    storage = Subquery(Customer.objects.filter(partner=OuterRef("pk")).order_by().values("partner")
                       .annotate(s=Sum("storage_bytes")).values("s")[:1])
    return qs.annotate(n_customers=_count(Customer.objects.all(), "partner"),
                       n_users=_count(User.objects.all(), "partner"),
                       storage=Coalesce(storage, 0))


def customers_with_health(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """``failing_sources``, ``paused_sources`` and ``last_archived_at`` (the newest message that
    was actually archived; a failed run is no activity) per customer."""
    sources = Source.objects.all()
    last = Subquery(Message.objects.filter(customer=OuterRef("pk")).order_by("-archived_at")
                    .values("archived_at")[:1])
    return qs.annotate(failing_sources=_count(sources.filter(paused=False, consecutive_failures__gt=0), "customer"),
                       paused_sources=_count(sources.filter(paused=True), "customer"),
                       last_archived_at=last)


@dataclass(frozen=True)
class Health:
    key: str  # deleting | failing | paused | active
    label: str
    badge: str  # CSS modifier
    failing: int = 0
    paused: int = 0
    last_archived_at: datetime | None = None


def health(customer: Customer) -> Health:
    """The status shown for a customer: deletion, failing sources, paused sources, or active.

    Uses the annotations of :func:`customers_with_health` when present, else asks the database.
    """
    if not hasattr(customer, "failing_sources"):
        counts = Source.objects.filter(customer=customer).aggregate(
            failing=Count("pk", filter=Q(paused=False, consecutive_failures__gt=0)),
            paused=Count("pk", filter=Q(paused=True)))
        failing, paused = counts["failing"], counts["paused"]
        last = Message.objects.filter(customer=customer).order_by("-archived_at").values_list(
            "archived_at", flat=True).first()
    else:
        failing, paused, last = customer.failing_sources, customer.paused_sources, customer.last_archived_at
    if customer.status == Customer.Status.DELETING:
        return Health("deleting", str(_("deletion running")), "danger", failing, paused, last)
    if failing:
        return Health("failing", str(_("source failing")), "danger", failing, paused, last)
    if paused:
        return Health("paused", str(_("source paused")), "warn", failing, paused, last)
    return Health("active", str(_("active")), "ok", failing, paused, last)
