"""The record of processing activities (GDPR Art. 30) for the archiving/backup of one customer.

The customer is the controller, the partner (and the operator of this installation) the
processor. Transfers outside the EU follow from the customer's storage location.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError

from kustos.audit.services import record
from kustos.compliance.services import facts as F
from kustos.compliance.services.facts import InstallationFacts
from kustos.tenants.models import Customer

PURPOSES = [
    "Retention of business correspondence as required by § 147 AO and § 257 HGB (e-mail archiving)",
    "Evidence of sent and received mail (tamper-evident storage, timestamps)",
    "Answering tax audits (Z1/Z2/Z3 data access) and data-subject requests",
]
BACKUP_PURPOSE = "Recovery of cloud data (mail, calendars, contacts, files) after loss or damage (backup)"
SUBJECTS = ["Employees of the customer", "Business partners, customers and suppliers and their contacts",
            "Other senders and recipients of e-mail"]
DATA_CATEGORIES = ["Contact data (names, e-mail addresses)", "Contents of e-mails and attachments",
                   "Communication metadata (envelope, headers, dates, IP addresses of delivering servers)",
                   "Possibly special categories (Art. 9) contained in mail contents",
                   "User accounts and audit log entries of the archive's users"]
MEASURES = [
    "Encryption at rest with a data key per customer (AES-256-GCM), wrapped by the master key; "
    "crypto-shredding at contract end",
    "SHA-256 per message, append-only ledger with Merkle batches and RFC 3161 timestamps",
    "Hash-chained audit log of ingest, searches, views, exports and administrative changes",
    "Role-based access control with tenant isolation; auditors time-limited, read-only and scoped",
    "Two-factor authentication (TOTP), required for operator and partner roles",
    "Password rules, sign-in throttling, session end on password change",
    "Per-customer deduplication only (no cross-customer data sharing)",
]


def record_for(customer: Customer, inst: InstallationFacts) -> dict[str, Any]:
    loc = F.location_of(customer, inst.vault_backend)
    outside = not loc["in_eu"]
    purposes = PURPOSES + ([BACKUP_PURPOSE] if customer.backup_enabled else [])
    recipients = [f"Processor: {customer.partner.name} (service provider)",
                  "Sub-processor: the operator of this Kustos installation (hosting)",
                  "Tax authorities and auditors, only where the customer grants access (§ 147(6) AO)"]
    return {
        "customer": customer.id,
        "controller": {"name": customer.legal_name or customer.name, "customer_number": customer.customer_number},
        "processor": {"partner": customer.partner.name, "software": f"Kustos {inst.software_version}"},
        "purposes": purposes,
        "data_subjects": SUBJECTS,
        "data_categories": DATA_CATEGORIES,
        "recipients": recipients,
        "storage_location": {"id": loc["id"], "name": loc["name"], "country": loc["country"]},
        "third_country_transfer": (f"Yes: data is stored in {loc['country']} (outside the EU, explicit override)"
                                   if outside else f"No: data is stored in {loc['country']} (EU)"),
        "retention": _retention(customer),
        "measures": MEASURES + [f"Timestamp authority: {inst.tsa}"],
    }


def _retention(customer: Customer) -> str:
    ret = F.retention_of(customer)
    classes = ", ".join(f"{c['name']} ({'kept forever' if c['years'] is None else str(c['years']) + ' years'})"
                        for c in ret["classes"]) or "none configured"
    return (f"Archived mail: until 31 December of (year of receipt + the years of its retention class; "
            f"unclassified {ret['archive_years']} years) (§ 147 AO, § 257 HGB). Retention classes: {classes}. "
            f"Deletion only after approval by {ret['required_approvals']} authorised person(s) of the customer; "
            "legal holds block it.")


def markdown(rec: dict[str, Any]) -> str:
    def section(title: str, items: list[str] | str) -> list[str]:
        body = [f"- {i}" for i in items] if isinstance(items, list) else [items]
        return ["", f"## {title}", "", *body]
    c, p = rec["controller"], rec["processor"]
    lines = [f"# Record of processing activities (Art. 30 GDPR) — {c['name']}", "",
             "Processing activity: e-mail archiving and cloud backup with Kustos."]
    lines += section("Controller", [f"{c['name']}" + (f" (customer number {c['customer_number']})"
                                                      if c["customer_number"] else "")])
    lines += section("Processor", [f"{p['partner']}", f"Software: {p['software']}"])
    lines += section("Purposes of processing", rec["purposes"])
    lines += section("Categories of data subjects", rec["data_subjects"])
    lines += section("Categories of personal data", rec["data_categories"])
    lines += section("Recipients", rec["recipients"])
    loc = rec["storage_location"]
    lines += section("Storage location and transfers to third countries",
                     [f"{loc['id']} — {loc['name']} ({loc['country']})", rec["third_country_transfer"]])
    lines += section("Retention periods", rec["retention"])
    lines += section("Technical and organisational measures (Art. 32)", rec["measures"])
    return "\n".join(lines) + "\n"


def export(customer: Customer, inst: InstallationFacts, *, actor: Any, fmt: str = "md") -> bytes:
    """The record as Markdown (``md``) or JSON (``json``); the export is audited."""
    if fmt not in ("md", "json"):
        raise ValidationError(f"unknown format {fmt!r}; use md or json")
    rec = record_for(customer, inst)
    record("compliance.art30", actor=actor, customer=customer, detail={"format": fmt})
    if fmt == "json":
        return json.dumps(rec, indent=2, ensure_ascii=False).encode()
    return markdown(rec).encode()
