"""Anomaly alerts of backups: after each committed snapshot, every account that has a parent snapshot
is judged by ``kustos.backupguard`` against its own baseline (kept on ``BackupAccount.baseline``);
each finding becomes a ``BackupAlert`` (audited), critical ones are mailed to the partner's admins and
the customer's admins. An account's first snapshot only seeds its baseline. Entropy comes from the
item metadata the sink recorded while streaming, so no content is read again.

A kind with ``alert_partition = "folder"`` (Salesforce: folder = object) has each top-level folder
of its accounts judged on its own (``backupguard.assess_parts``): every object keeps its own
baseline (``{"parts": {object: baseline}}`` in ``BackupAccount.baseline``) and its own denominator,
the object's records in the parent snapshot; the alert's detail names the object."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kustos.accounts.models import User
from kustos.accounts.roles import Role
from kustos.audit import services as audit
from kustos.backup.models import BackupAccount, BackupAlert, BackupPlan, BackupSnapshot
from kustos.backupguard import (
    RECORDS,
    Baseline,
    ChangeSet,
    Finding,
    PartBaselines,
    assess,
    assess_parts,
    changes_between,
)
from kustos.notify.services import events
from kustos.sources.kinds import registry
from kustos.tenants.models import Customer

log = logging.getLogger("kustos.backup")

CRITICAL = "critical"


def check(plan: BackupPlan, snap: BackupSnapshot, store: Any) -> list[BackupAlert]:
    """Judge the accounts of ``snap`` against its parent; returns the alerts raised."""
    day = snap.time.date()
    accounts = {a.scope_id: a for a in BackupAccount.objects.filter(plan=plan)}
    current = {row["account"]: int(row.get("items", 0)) for row in store.snapshots.ls(snap.id)}
    before = {row["account"]: int(row.get("items", 0)) for row in store.snapshots.ls(snap.parent)} \
        if snap.parent else {}
    changed = changes_between(store, snap.parent, snap.id, read_content=False) if snap.parent else {}
    per_folder = _partition(plan) == "folder"
    raised: list[BackupAlert] = []
    with transaction.atomic():
        for name, account in sorted(accounts.items()):
            if name not in current and name not in before:
                continue
            baseline = None if per_folder or name not in before else _baseline(account)
            if name not in before or (not per_folder and baseline is None):
                # The account's first snapshot (or no usable baseline yet): seed the baseline only.
                seed = PartBaselines(account=name) if per_folder else Baseline(account=name)
                BackupAccount.objects.filter(pk=account.pk).update(baseline=seed.to_dict())
                continue
            cs = changed.get(name) or ChangeSet.build(name, before.get(name, 0), [])
            if baseline is not None:
                result = assess(cs, baseline, day=day)
                findings, state = result.findings, result.baseline.to_dict()
            else:
                findings, state = _assess_parts(store, str(snap.parent), account, cs, day)
            BackupAccount.objects.filter(pk=account.pk).update(baseline=state)
            for f in findings:
                alert = BackupAlert.objects.create(
                    customer_id=plan.customer_id, plan=plan, account=account, time=snap.time, kind=f.kind,
                    severity=f.severity, detail=f.detail, count=f.count, snapshot=snap.id)
                audit.record("backup.alert", actor="system", customer=plan.customer_id, target=alert.id,
                             detail={"account": name, "kind": f.kind, "severity": f.severity, "count": f.count,
                                     "snapshot": snap.id, **({"object": f.part} if f.part else {})})
                raised.append(alert)
    critical = [a for a in raised if a.severity == CRITICAL]
    if critical:
        _mail(plan, critical)
    return raised


def _partition(plan: BackupPlan) -> str:
    try:
        return registry.get(plan.source.kind).alert_partition
    except KeyError:
        return ""


def _assess_parts(store: Any, parent: str, account: BackupAccount, cs: ChangeSet,
                  day: Any) -> tuple[list[Finding], dict[str, Any]]:
    """Every top-level folder on its own. A folder of records counts its records only (not the files
    stored beside them, e.g. a ContentVersion's bytes), a folder of files (e.g. the org's metadata)
    its files; the denominator is that count in the parent snapshot."""
    sizes, record_folders = _part_sizes(store, parent, account.scope_id, cs)
    counted = tuple(c for c in cs.changes if c.kind != "file" or c.part not in record_folders)
    result = assess_parts(ChangeSet(cs.account, cs.files_before, counted), sizes, _part_baselines(account), day=day)
    return result.findings, result.baseline.to_dict()


def _part_sizes(store: Any, parent: str, name: str, cs: ChangeSet) -> tuple[dict[str, int], set[str]]:
    """Items per top-level folder of ``name`` in ``parent`` and the folders that hold records. Counted
    exactly for the folders that changed (their tree nodes were just read by the diff); the others
    keep the folder's item count (nothing changed there: the size only starts the day's bucket)."""
    changed = {c.part for c in cs.changes}
    records = {c.part for c in cs.changes if c.is_record}
    sizes: dict[str, int] = {}
    for row in store.snapshots.ls(parent, name):
        if not row.get("dir"):
            continue
        folder = str(row["name"])
        if folder not in changed:
            sizes[folder] = int(row.get("items", 0))
            continue
        kinds = [str(r.get("kind")) for r in store.snapshots.ls(parent, name, folder) if r.get("kind") != "folder"]
        if folder in records or any(k in RECORDS for k in kinds):
            records.add(folder)
            kinds = [k for k in kinds if k != "file"]
        sizes[folder] = len(kinds)
    return sizes, records


def _part_baselines(account: BackupAccount) -> PartBaselines:
    try:
        return PartBaselines.from_dict(account.baseline)
    except ValueError as exc:
        if not (isinstance(account.baseline, dict) and "days" in account.baseline):  # nor an account-wide one
            log.warning("per-object baselines of account %s are unusable, starting again: %s", account.scope_id, exc)
        return PartBaselines(account=account.scope_id)


def _baseline(account: BackupAccount) -> Baseline | None:
    if account.baseline is None:
        return None
    try:
        return Baseline.from_dict(account.baseline)
    except ValueError as exc:
        log.warning("backup baseline of account %s is unusable, seeding it again: %s", account.scope_id, exc)
        return None


def _recipients(customer: Customer, partner_admins: bool = True) -> list[str]:
    who = Q(role=Role.CUSTOMER_ADMIN, customer=customer)
    if partner_admins:
        who |= Q(role=Role.PARTNER_ADMIN, partner_id=customer.partner_id)
    return sorted(User.objects.filter(is_active=True).filter(who).values_list("email", flat=True))


def _mail(plan: BackupPlan, alerts: list[BackupAlert]) -> None:
    customer = plan.customer
    recipients = _recipients(customer)
    lines = [f"- {a.account.name or a.account.scope_id}: {a.kind} ({a.severity}): {a.detail}" for a in alerts]
    subject = f"[Kustos] backup anomaly at {customer.name}: {len(alerts)} critical alert(s)"
    text = (f"The backup of source {plan.source.name} of customer {customer.name} found changes that look like "
            f"an attack (snapshot {alerts[0].snapshot}):\n\n" + "\n".join(lines) +
            "\n\nEarlier snapshots are kept; check the accounts before restoring.\n")
    emitted = events.emit("anomaly.detected", partner=customer.partner_id, customer=customer,
                          title=subject.removeprefix("[Kustos] "), default_mail=False, detail={
                              "source": plan.source_id, "snapshot": alerts[0].snapshot,
                              "alerts": [{"account": a.account.scope_id, "kind": a.kind, "severity": a.severity,
                                          "count": a.count} for a in alerts]})
    if emitted.routed:  # the partner's side goes where its routes say; the customer's admins are still mailed
        recipients = _recipients(customer, partner_admins=False)
    if recipients:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True)
    if emitted.routed:
        recipients = recipients + emitted.mailed
    audit.record("backup.alert.mail", actor="system", customer=customer, target=plan.id,
                 detail={"alerts": len(alerts), "recipients": len(recipients)})


def for_customer(customer: Customer, since: datetime | None = None, open_only: bool = False) -> QuerySet[BackupAlert]:
    """The customer's alerts, newest first."""
    qs = BackupAlert.objects.filter(customer=customer).select_related("account")
    if since is not None:
        qs = qs.filter(time__gte=since)
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs


def open_critical(customer: Customer) -> int:
    """Unacknowledged critical alerts (the dashboard shows a banner while there are any)."""
    return for_customer(customer, open_only=True).filter(severity=CRITICAL).count()


def public(alert: BackupAlert) -> dict[str, Any]:
    return {"id": alert.id, "time": alert.time.isoformat(), "account": alert.account.scope_id,
            "kind": alert.kind, "severity": alert.severity, "detail": alert.detail, "snapshot": alert.snapshot,
            "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
            "acknowledged_by": alert.acknowledged_by}


def parse_since(text: str | None) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO timestamp; a clear error otherwise."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"invalid --since {text!r}: use YYYY-MM-DD or an ISO 8601 time") from None
    return value if value.tzinfo else timezone.make_aware(value)


def get(customers: QuerySet[Customer], alert_id: str) -> BackupAlert:
    alert = BackupAlert.objects.select_related("account", "customer").filter(
        id=alert_id, customer__in=customers).first()
    if alert is None:
        raise Http404(f"no backup alert {alert_id!r}")
    return alert


def acknowledge(alert: BackupAlert, actor: Any) -> BackupAlert:
    """Mark an alert as seen (idempotent: a second acknowledgement keeps the first)."""
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = str(getattr(actor, "email", actor) or "")[:254]
        BackupAlert.objects.filter(id=alert.id).update(acknowledged_at=alert.acknowledged_at,
                                                       acknowledged_by=alert.acknowledged_by)
        audit.record("backup.alert.ack", actor=actor, customer=alert.customer_id, target=alert.id,
                     detail={"kind": alert.kind})
    return alert


def acknowledge_ids(customer: Customer, ids: list[str], actor: Any) -> list[dict[str, Any]]:
    """Acknowledge the customer's alerts ``ids`` (all or none: an unknown id is a 404)."""
    found = {a.id: a for a in BackupAlert.objects.select_related("account").filter(customer=customer, id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Http404(f"no backup alert {missing[0]!r}")
    return [public(acknowledge(found[i], actor)) for i in dict.fromkeys(ids)]
