"""The operator's price list: EUR per service and unit and month, valid from a date until the next
price of the same service and unit (archive per GB of the month's maximum, backup per account)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kustos.audit import services as audit
from kustos.billing.models import Price
from kustos.billing.models.prices import UNITS
from kustos.billing.services.activations import BERLIN

MAX_PRICE = Decimal("99999999")


def parse_price(value: Any) -> Decimal:
    try:
        price = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"price {value!r} is not a number (EUR, e.g. 0.25)") from None
    if not price.is_finite() or price <= 0:
        raise ValidationError(f"price {value!r} must be greater than 0 EUR")
    if price >= MAX_PRICE or price != price.quantize(Decimal("0.0001")):
        raise ValidationError(f"price {value!r} must be below {MAX_PRICE} EUR with at most 4 decimals")
    return price


def parse_day(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"date {value!r} is not a date (YYYY-MM-DD)") from None


def today() -> date:
    return timezone.now().astimezone(BERLIN).date()


def set_price(service: str, unit: str, price: Any, valid_from: Any = None, *, actor: Any = None) -> Price:
    """Set the price of ``service`` per ``unit`` from ``valid_from`` (default: today, Berlin)."""
    if service not in UNITS:
        raise ValidationError(f"unknown service {service!r}: use archive or backup")
    if unit not in UNITS[service]:
        raise ValidationError(f"unit {unit!r} does not fit {service}: use {' or '.join(UNITS[service])}")
    amount = parse_price(price)
    day = parse_day(valid_from) if valid_from not in (None, "") else today()
    actor_name = getattr(actor, "email", None) or str(actor or "")
    with transaction.atomic():
        row, created = Price.objects.update_or_create(
            service=service, unit=unit, valid_from=day, defaults={"price": amount, "created_by": actor_name})
    audit.record("billing.price.set", actor=actor, target=f"{service}/{unit}",
                 detail={"price": str(amount), "valid_from": day.isoformat(), "replaced": not created})
    return row


def price_for(service: str, unit: str, day: date) -> Decimal | None:
    """The price valid on ``day`` (None when none was set by then)."""
    row = (Price.objects.filter(service=service, unit=unit, valid_from__lte=day).order_by("-valid_from").first())
    return row.price if row else None


def as_dict(row: Price, on: date | None = None) -> dict[str, Any]:
    out = {"id": row.id, "service": row.service, "unit": row.unit, "price": str(row.price),
           "valid_from": row.valid_from.isoformat(), "created_by": row.created_by}
    if on is not None:
        out["current"] = row.valid_from <= on and not Price.objects.filter(
            service=row.service, unit=row.unit, valid_from__gt=row.valid_from, valid_from__lte=on).exists()
    return out


def price_list(on: date | None = None) -> list[dict[str, Any]]:
    """Every price (history included, newest first per service and unit); ``current`` marks the valid ones."""
    on = on or today()
    return [as_dict(r, on) for r in Price.objects.order_by("service", "unit", "-valid_from")]
