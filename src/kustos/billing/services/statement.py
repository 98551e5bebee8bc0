"""The monthly billing statement: one row per customer and service for a calendar month
(Europe/Berlin), for one partner or all; the CSV is written by ``statement_csv``.

Rules (from the service descriptions, "Details zur Abrechnung" and "Kündigung"):

* A month is billed when the service was active and paid on at least one day of it: the
  activation's ``activated_at`` is set and before the end of the month, and its ``ended_at`` is
  not before the month's start. A billed month is always the WHOLE calendar month.
* During a trial nothing is charged. ``trial_days`` counts the trial's days inside the month
  (Berlin calendar days from the trial's start up to the day before ``trial_ends_at``; not after
  the service ended or became paid). A month with trial days only is listed with unit price and
  amount 0.
* Archive: quantity = the month's maximum ``UsageSample.stored_bytes`` in GB (10^9 bytes),
  rounded UP to 2 decimals, unit ``GB``. Backup: quantity = the month's maximum protected
  ``accounts``, unit ``account``. A month without any sample uses the last sample before it
  (else 0).
* unit_price = the operator's price valid on the first day of the month (the newest
  ``Price.valid_from`` on or before that day, ``prices.price_for``); amount = quantity × unit_price, rounded half-up to
  cents. A billed row without a price raises ``MissingPrice`` naming service and unit: the
  operator has to set prices first.
* Cancelling is deleting the customer: billing ends with the month of ``ended_at``. The
  activation row keeps customer id, name and legal name, so the deleted customer's rows still
  appear for that month. Customer data is used only to attribute billing.
* ``activated`` / ``ended``: ISO dates (Berlin) or empty; only dates up to the month's end are
  shown, so a month's statement does not change later. Rows are sorted by partner, customer
  name, customer id and service.

Several activation rows of one customer and service (a trial that ended, a later activation)
make one row: the month is billed if any of them is, trial days are counted once per day.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Max, Q

from kustos.billing.models import ServiceActivation, UsageSample
from kustos.billing.services.prices import price_for
from kustos.tenants.models import Partner

BERLIN = ZoneInfo("Europe/Berlin")
COLUMNS = ("customer_id", "customer_name", "legal_name", "service", "unit", "quantity", "unit_price", "amount",
           "trial_days", "activated", "ended")
UNIT = {"archive": "GB", "backup": "account"}
GB = Decimal(10**9)
CENT = Decimal("0.01")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MissingPrice(Exception):
    """A billed row has no price valid on the first day of its month."""

    def __init__(self, service: str, unit: str, day: date):
        self.service, self.unit, self.day = service, unit, day
        super().__init__(f"no price for service {service!r} and unit {unit!r} valid on {day.isoformat()}: "
                         f"the operator must set one (kustos price set --service {service} --unit {unit} "
                         f"--price EUR --from DATE)")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        m = _MONTH.match((text or "").strip())
        if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
            raise ValidationError(f"month must be YYYY-MM (e.g. 2026-01), got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def previous(cls, today: date) -> Month:
        first = today.replace(day=1) - timedelta(days=1)
        return cls(first.year, first.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + (self.month == 12), self.month % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.next_first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=BERLIN)

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.next_first_day, time.min, tzinfo=BERLIN)


@dataclass
class Row:
    partner_id: str
    partner_name: str
    customer_id: str
    customer_name: str
    legal_name: str
    service: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    trial_days: int
    activated: date | None
    ended: date | None
    billed: bool

    def values(self) -> dict[str, str]:
        """The CSV/JSON values: decimals with a dot, dates ISO or empty."""
        qty = f"{self.quantity:.2f}" if self.unit == "GB" else f"{self.quantity:.0f}"
        return {
            "customer_id": self.customer_id, "customer_name": self.customer_name, "legal_name": self.legal_name,
            "service": self.service, "unit": self.unit, "quantity": qty, "unit_price": price_text(self.unit_price),
            "amount": f"{self.amount:.2f}", "trial_days": str(self.trial_days),
            "activated": self.activated.isoformat() if self.activated else "",
            "ended": self.ended.isoformat() if self.ended else "",
        }


    def labelled(self) -> dict[str, str]:
        """The values plus the partner (JSON and the dashboard; the CSV has the columns only)."""
        return {**self.values(), "partner_id": self.partner_id, "partner_name": self.partner_name}


@dataclass
class Statement:
    month: Month
    partner: Partner | None
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), Decimal("0.00"))

    def totals_by_service(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for r in self.rows:
            out[r.service] = out.get(r.service, Decimal("0.00")) + r.amount
        return dict(sorted(out.items()))

    def as_dict(self) -> dict:
        return {
            "month": str(self.month), "partner": self.partner.id if self.partner else "",
            "columns": list(COLUMNS), "rows": [r.labelled() for r in self.rows],
            "total": f"{self.total:.2f}", "totals": {k: f"{v:.2f}" for k, v in self.totals_by_service().items()},
        }


def price_text(value: Decimal) -> str:
    """A price with at least 2 and at most 4 decimals (1.25, 0.0125)."""
    text = f"{value:.4f}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return text


def _day(dt: datetime | None) -> date | None:
    return dt.astimezone(BERLIN).date() if dt is not None else None


def _trial_days(a: ServiceActivation, month: Month) -> set[date]:
    if a.trial_started_at is None:
        return set()
    first = max(_day(a.trial_started_at), month.first_day)
    last = month.last_day
    if a.trial_ends_at is not None:
        last = min(last, _day(a.trial_ends_at) - timedelta(days=1))
    if a.ended_at is not None:
        last = min(last, _day(a.ended_at))
    if a.activated_at is not None:
        last = min(last, _day(a.activated_at) - timedelta(days=1))
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def _billed(a: ServiceActivation, month: Month) -> bool:
    if a.activated_at is None or a.activated_at >= month.end:
        return False
    return a.ended_at is None or a.ended_at >= month.start


def _quantity(customer_id: str, service: str, month: Month) -> Decimal:
    samples = UsageSample.objects.filter(customer_id=customer_id, service=service)
    column = "stored_bytes" if service == "archive" else "accounts"
    peak = samples.filter(day__gte=month.first_day, day__lte=month.last_day).aggregate(m=Max(column))["m"]
    if peak is None:
        before = samples.filter(day__lt=month.first_day).order_by("-day").values_list(column, flat=True).first()
        peak = before or 0
    if service == "archive":
        return (Decimal(peak) / GB).quantize(CENT, rounding=ROUND_CEILING)
    return Decimal(peak)


def _candidates(month: Month, partner: Partner | None) -> list[ServiceActivation]:
    paid = Q(activated_at__lt=month.end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=month.start))
    trial = Q(trial_started_at__lt=month.end) & (Q(trial_ends_at__isnull=True) | Q(trial_ends_at__gt=month.start))
    qs = ServiceActivation.objects.filter(paid | trial).select_related("partner")
    if partner is not None:
        qs = qs.filter(partner=partner)
    return list(qs.order_by("customer_id", "service", "created_at", "id"))


def _merge(group: list[ServiceActivation], month: Month, prices: dict) -> Row | None:
    billed_rows = [a for a in group if _billed(a, month)]
    trial = set().union(*(_trial_days(a, month) for a in group))
    if not billed_rows and not trial:
        return None
    relevant = billed_rows or [a for a in group if _trial_days(a, month)]
    latest = max(relevant, key=lambda a: (a.created_at, a.id))
    service = latest.service
    unit = UNIT[service]
    quantity = _quantity(latest.customer_id, service, month)
    unit_price = Decimal("0")
    if billed_rows:
        key = (service, unit)
        if key not in prices:
            prices[key] = price_for(service, unit, month.first_day)
        if prices[key] is None:
            raise MissingPrice(service, unit, month.first_day)
        unit_price = prices[key]
    activated = [_day(a.activated_at) for a in relevant if a.activated_at is not None and a.activated_at < month.end]
    ended = [a.ended_at for a in relevant]  # shown once it lies within or before the month
    return Row(
        partner_id=latest.partner_id, partner_name=latest.partner.name, customer_id=latest.customer_id,
        customer_name=latest.customer_name, legal_name=latest.legal_name, service=service, unit=unit,
        quantity=quantity, unit_price=unit_price,
        amount=(quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP), trial_days=len(trial),
        activated=min(activated) if activated else None,
        ended=_day(max(ended)) if all(e is not None and e < month.end for e in ended) else None,
        billed=bool(billed_rows),
    )


def statement(month: Month | str, partner: Partner | None = None) -> Statement:
    """The statement of ``month`` (``YYYY-MM`` or ``Month``) for ``partner`` or all partners.

    Raises ``ValidationError`` for a malformed month and ``MissingPrice`` when a billed row has no
    price."""
    month = Month.parse(month) if isinstance(month, str) else month
    groups: dict[tuple[str, str], list[ServiceActivation]] = defaultdict(list)
    for a in _candidates(month, partner):
        groups[(a.customer_id, a.service)].append(a)
    prices: dict = {}
    rows = [row for group in groups.values() if (row := _merge(group, month, prices)) is not None]
    rows.sort(key=lambda r: (r.partner_name, r.partner_id, r.customer_name, r.customer_id, r.service))
    return Statement(month=month, partner=partner, rows=rows)
