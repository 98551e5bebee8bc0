"""Resolving the partners and customers named on the command line: by id, or by name where the
name is unique. Every command resolves ``--partner`` / ``--customer`` here (clear one-line errors).
"""

from __future__ import annotations

from django.db.models import Model, QuerySet

from kustos.cli.base import CLIError
from kustos.tenants.models import Customer, Partner

MAX_CANDIDATES = 10


def _describe(obj: Model) -> str:
    if isinstance(obj, Customer):
        return f"{obj.id} ({obj.name}, partner {obj.partner.name})"
    return f"{obj.pk} ({obj.name})"


def _candidates(rows: list[Model]) -> str:
    shown = ", ".join(_describe(r) for r in rows[:MAX_CANDIDATES])
    more = len(rows) - MAX_CANDIDATES
    return shown + (f" and {more} more" if more > 0 else "")


def resolve(qs: QuerySet, kind: str, ref: str) -> Model:
    """The one object of ``qs`` whose id is ``ref``, else the one whose name is ``ref``.

    Several with that name: an error listing their ids. None: an error listing the objects
    whose name contains ``ref`` (ignoring case), if any.
    """
    ref = (ref or "").strip()
    if not ref:
        raise CLIError(f"no {kind} given: pass its id or name")
    found = qs.filter(pk=ref).first()
    if found is not None:
        return found
    named = list(qs.filter(name=ref)[:MAX_CANDIDATES + 1]) or list(qs.filter(name__iexact=ref)[:MAX_CANDIDATES + 1])
    if len(named) == 1:
        return named[0]
    if named:
        raise CLIError(f"{kind} name {ref!r} is ambiguous: {_candidates(named)}; pass the id")
    similar = list(qs.filter(name__icontains=ref)[:MAX_CANDIDATES + 1])
    hint = f"; did you mean {_candidates(similar)}" if similar else ""
    raise CLIError(f"no {kind} with id or name {ref!r}{hint}")


def partner(ref: str) -> Partner:
    found: Partner = resolve(Partner.objects.all(), "partner", ref)
    return found


def customer(ref: str) -> Customer:
    found: Customer = resolve(Customer.objects.select_related("location", "partner"), "customer", ref)
    return found


def vault_customer(vault_customers: list[str], ref: str) -> str:
    """A vault customer id as given (the vault has it), else the id of the customer named ``ref``."""
    if ref in vault_customers:
        return ref
    return customer(ref).id
