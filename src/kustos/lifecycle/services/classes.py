"""Retention classes of a customer (requirement 8): a name and a period in years (6, 8, 10,
any N, or keep forever = ``years`` None), optionally tax-relevant."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kustos.audit.services import record
from kustos.lifecycle.models import RetentionClass
from kustos.tenants.models import Customer

MAX_YEARS = 100

#: Offered in the dashboard with one click (name, years, tax-relevant, description).
SUGGESTED = (
    ("Business letters", 6, False, "Handels- und Geschäftsbriefe (§ 257 HGB, § 147 AO)"),
    ("Booking vouchers", 8, True, "Buchungsbelege (§ 147 AO since 2025: 8 years)"),
    ("Books and annual accounts", 10, True, "Bücher, Jahresabschlüsse, Inventare (§ 147 AO)"),
    ("Keep forever", None, False, "never deleted"),
)


class RetentionError(ValidationError):
    """Bad input for a retention operation (one line, names the problem): the CLI prints it as
    ``kustos: error: …``, the API answers 422 with it as the problem detail."""

    def __str__(self) -> str:
        return "; ".join(self.messages)


def _years(years: int | str | None) -> int | None:
    if years is None or years == "" or str(years).lower() in ("forever", "none", "keep"):
        return None
    try:
        value = int(years)
    except (TypeError, ValueError):
        raise RetentionError(f"years must be a whole number or 'forever', not {years!r}") from None
    if not 1 <= value <= MAX_YEARS:
        raise RetentionError(f"years must be between 1 and {MAX_YEARS}, not {value}")
    return value


def list_classes(customer: Customer) -> list[RetentionClass]:
    return list(RetentionClass.objects.filter(customer=customer).order_by("name"))


def get_class(customer: Customer, name_or_id: str) -> RetentionClass:
    found = (RetentionClass.objects.filter(customer=customer, id=name_or_id).first()
             or RetentionClass.objects.filter(customer=customer, name=name_or_id).first())
    if found is None:
        raise RetentionError(f"no retention class {name_or_id!r} for this customer")
    return found


def add(customer: Customer, name: str, years: int | str | None, *, tax_relevant: bool = False,
        description: str = "", actor: Any = None) -> RetentionClass:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise RetentionError("a retention class needs a name of 1 to 100 characters")
    value = _years(years)
    try:
        with transaction.atomic():
            rc = RetentionClass.objects.create(customer=customer, name=name, years=value, tax_relevant=tax_relevant,
                                               description=description[:300], created_by=_who(actor))
    except IntegrityError:
        raise RetentionError(f"a retention class named {name!r} already exists") from None
    record("retention.class.add", actor=actor, customer=customer, target=rc.id,
           detail={"name": name, "years": value, "tax_relevant": tax_relevant})
    return rc


def add_suggested(customer: Customer, *, actor: Any = None) -> list[RetentionClass]:
    """Create the suggested default classes that do not exist yet (by name)."""
    have = set(RetentionClass.objects.filter(customer=customer).values_list("name", flat=True))
    return [add(customer, name, years, tax_relevant=tax, description=desc, actor=actor)
            for name, years, tax, desc in SUGGESTED if name not in have]


def as_row(rc: RetentionClass) -> dict[str, Any]:
    return {"id": rc.id, "name": rc.name, "years": rc.years, "keep_forever": rc.keep_forever,
            "tax_relevant": rc.tax_relevant, "description": rc.description}


def _who(actor: Any) -> str:
    return str(getattr(actor, "email", actor) or "")[:254]
