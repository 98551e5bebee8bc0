"""Requirement 20: renewal of evidence before a TSA certificate or hash algorithm expires.

``renew`` re-time-stamps every due ledger batch (``vault/ledger/renew.py`` does the vault work);
``status`` reports per customer the soonest certificate expiry; ``daily_check`` (the scheduled
job) warns the operators (mail + audit event; the Integrity page shows a banner) when a
certificate expires within ``KUSTOS_EVIDENCE_WARN_DAYS`` days and renews what is due when
``KUSTOS_EVIDENCE_AUTO_RENEW`` is on. The settings are read here and passed down.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.mail import send_mail

from kustos.accounts.models import User
from kustos.accounts.roles import Role
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from kustos.notify.services import events
from kustos.tenants.models import Customer
from kustos.vault.errors import VaultError
from kustos.vault.ledger import renew as ledger_renew

WARN_ACTION = "evidence.expiry_warning"


def policy(before_days: int | None = None, algorithm: str | None = None) -> dict[str, Any]:
    """The renewal policy from the settings, with the caller's overrides; ValueError when bad."""
    s = runtime.settings()
    days = s.evidence_renew_days if before_days is None else before_days
    if days < 0:
        raise ValueError("--before must be 0 or more days")
    return {"before_days": int(days),
            "algorithm": ledger_renew.check_algorithm(algorithm or s.evidence_renew_algorithm),
            "sunset": ledger_renew.parse_sunset(s.evidence_hash_sunset)}


def _active(customers: Iterable[Customer] | None) -> list[Customer]:
    if customers is not None:
        return list(customers)
    return list(Customer.objects.filter(status=Customer.Status.ACTIVE).order_by("name"))


def renew(customers: Iterable[Customer] | None = None, *, before_days: int | None = None,
          algorithm: str | None = None, dry_run: bool = False, actor: Any = "cli",
          now: datetime | None = None) -> dict[str, Any]:
    """Renew the due batches of ``customers`` (default: every active one); audited per customer."""
    p = policy(before_days, algorithm)
    out: dict[str, Any] = {"checked": 0, "renewed": [], "due": [], "warnings": [], "errors": [], **p}
    for customer in _active(customers):
        store = runtime.store_for(customer.id)
        if not store.ledger.batch_names():
            continue
        try:
            result = ledger_renew.renew(store, ledger_renew.stamper_for(store.ctx.tsa), before_days=p["before_days"],
                                        algorithm=p["algorithm"], sunset=p["sunset"], now=now, dry_run=dry_run)
        except VaultError as exc:
            out["errors"].append({"customer": customer.id, "error": str(exc)})
            continue
        out["checked"] += result["checked"]
        for key in ("renewed", "due"):
            out[key] += [{"customer": customer.id, **r} for r in result[key]]
        out["warnings"] += result["warnings"]
        if result["renewed"]:
            audit.record("evidence.renew", actor=actor, customer=customer, target=customer.id,
                         detail={"batches": len(result["renewed"]), "algorithm": p["algorithm"],
                                 "reasons": sorted({r["reason"] for r in result["renewed"]})})
    return out


def status(customer: Customer, warn_days: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """``{"batches", "renewals", "soonest_expiry", "days_left", "expiring": [...], "warn_days"}``."""
    s = runtime.settings()
    warn = s.evidence_warn_days if warn_days is None else warn_days
    batches = ledger_renew.batch_status(runtime.store_for(customer.id), now or datetime.now(UTC))
    known = [b for b in batches if b["days_left"] is not None]
    soonest = min(known, key=lambda b: b["days_left"]) if known else None
    return {"batches": len(batches), "renewals": sum(b["renewals"] for b in batches),
            "soonest_expiry": soonest["certificate_expires"] if soonest else None,
            "days_left": soonest["days_left"] if soonest else None,
            "expiring": ledger_renew.expiring(batches, warn), "warn_days": warn}


def _operators() -> list[str]:
    return sorted(User.objects.filter(is_active=True, role=Role.OPERATOR).values_list("email", flat=True))


def daily_check(now: datetime | None = None) -> dict[str, Any]:
    """Warn about certificates expiring within the warning window; renew when configured."""
    s = runtime.settings()
    warnings = []
    for customer in _active(None):
        try:
            st = status(customer, now=now)
        except VaultError as exc:
            warnings.append({"customer": customer.id, "name": customer.name, "error": str(exc)})
            continue
        if st["expiring"]:
            warnings.append({"customer": customer.id, "name": customer.name, "batches": len(st["expiring"]),
                             "soonest_expiry": st["soonest_expiry"], "days_left": st["days_left"]})
            audit.record(WARN_ACTION, actor="system", customer=customer, target=customer.id,
                         detail={"batches": len(st["expiring"]), "soonest_expiry": st["soonest_expiry"]})
            events.emit("evidence.renewal_due", partner=customer.partner_id, customer=customer, default_mail=False,
                        title=f"evidence renewal due for {customer.name}: TSA certificate expires soon",
                        detail={"batches": len(st["expiring"]), "soonest_expiry": str(st["soonest_expiry"]),
                                "days_left": st["days_left"]})
    sent = 0
    if warnings:
        to = _operators()
        lines = [f"- {w['name']} ({w['customer']}): " + (w["error"] if "error" in w else
                 f"{w['batches']} ledger batches, TSA certificate expires {str(w['soonest_expiry'])[:10]} "
                 f"({w['days_left']} days)") for w in warnings]
        text = ("The time-stamps of these archives rest on TSA certificates that expire soon. Renew the evidence "
                "before then: `kustos vault renew` (with a TSA whose certificate is valid longer, "
                "KUSTOS_TSA_URL), or set KUSTOS_EVIDENCE_AUTO_RENEW=1.\n\n" + "\n".join(lines) + "\n")
        if to:
            send_mail("[Kustos] evidence renewal due: TSA certificates expire soon", text,
                      django_settings.DEFAULT_FROM_EMAIL, to, fail_silently=True)
            sent = len(to)
    renewed = renew(actor="scheduler", now=now) if s.evidence_auto_renew else None
    return {"warnings": warnings, "mailed": sent, "renewed": renewed["renewed"] if renewed else []}


def recent_warnings(customers: Any, within_hours: int = 48) -> list[dict[str, Any]]:
    """The daily check's warnings of the last ``within_hours`` for ``customers`` (a queryset in the
    viewer's scope), newest per customer: ``[{"customer", "name", "batches", "soonest_expiry"}]``."""
    since = datetime.now(UTC) - timedelta(hours=within_hours)
    names = dict(customers.values_list("id", "name"))
    seen: dict[str, dict[str, Any]] = {}
    for ev in AuditEvent.objects.filter(action=WARN_ACTION, at__gte=since, customer_id__in=list(names)).order_by(
            "-seq"):
        seen.setdefault(ev.customer_id, {"customer": ev.customer_id, "name": names.get(ev.customer_id, ""),
                                         "batches": ev.detail.get("batches"),
                                         "soonest_expiry": str(ev.detail.get("soonest_expiry") or "")[:10]})
    return sorted(seen.values(), key=lambda w: w["soonest_expiry"])
