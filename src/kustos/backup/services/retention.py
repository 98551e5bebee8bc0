"""Retention of a backup plan: forget the plan's snapshots its policy drops (restic's
``forget --keep-*``), delete their rows, then prune the customer's backup pool."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kustos.audit import services as audit
from kustos.backup.models import BackupPlan, BackupSnapshot
from kustos.backup.services import search_hooks
from kustos.core import runtime
from kustos.vault.policy import Policy, select

# Plan field -> vault policy rule.
RULES = {"keep_last": "last", "keep_daily": "daily", "keep_weekly": "weekly",
         "keep_monthly": "monthly", "keep_yearly": "yearly"}


def clean(values: dict[str, Any]) -> dict[str, int]:
    """The given retention counts (``None`` = unchanged) as whole numbers >= 0; one clear error."""
    out: dict[str, int] = {}
    for name in RULES:
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(f"{name.replace('_', '-')} must be a whole number >= 0, not {value!r}")
        out[name] = value
    return out


def policy(plan: BackupPlan) -> Policy:
    return Policy(**{rule: getattr(plan, name) for name, rule in RULES.items()})


def public(plan: BackupPlan) -> dict[str, int]:
    return {name: getattr(plan, name) for name in RULES}


def apply(plan: BackupPlan, *, dry_run: bool = False, actor: Any = None) -> dict[str, Any]:
    """Forget what the plan's policy drops and prune; ``removed``/``kept`` snapshot ids newest
    first, ``freed_bytes`` the stored bytes of the backup pool that prune gave back."""
    pol = policy(plan)
    store = runtime.store_for(plan.customer_id)
    match = {"plan": plan.id}
    if dry_run or pol.keeps_all:
        rows = [r for r in store.snapshots.list() if r.get("bytes") is not None
                and all(r["meta"].get(k) == v for k, v in match.items())]
        kept, removed = select(pol, [(r["id"], datetime.fromisoformat(r["time"])) for r in rows])
        return {"removed": removed, "kept": kept, "freed_bytes": 0, "dry_run": dry_run}
    before = store.usage()["backup_stored_bytes"]
    removed = store.forget(pol, match)
    store.prune()
    freed = max(0, before - store.usage()["backup_stored_bytes"])
    with transaction.atomic():
        BackupSnapshot.objects.filter(plan=plan, id__in=removed).delete()
        BackupPlan.objects.filter(id=plan.id).update(last_retention_at=timezone.now())
    search_hooks.forget_unreferenced(plan)  # versions in no remaining snapshot leave the search index
    kept = list(BackupSnapshot.objects.filter(plan=plan).order_by("-time").values_list("id", flat=True))
    audit.record("backup.retention", actor=actor or "system", customer=plan.customer, target=plan.id,
                 detail={"policy": pol.as_dict(), "removed": removed, "kept": len(kept), "freed_bytes": freed})
    return {"removed": removed, "kept": kept, "freed_bytes": freed, "dry_run": False}


def with_policy() -> list[BackupPlan]:
    """Plans that keep less than everything."""
    return [p for p in BackupPlan.objects.select_related("customer") if not policy(p).keeps_all]
