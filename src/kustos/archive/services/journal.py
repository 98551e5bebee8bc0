"""SMTP journaling: per-customer addresses, the recipient resolver, and the spool consumer.

The receiver (kustos.sources.smtp) answers 250 only after the raw bytes and envelope
are fsynced into the spool; ``drain`` ingests spooled items and acknowledges each one
only after its batch is committed, so a crash at any point re-ingests (deduplicated)
rather than loses mail. Exchange journal reports are unwrapped: the original message
is archived byte-exact and the report's recipients (BCC included) kept as envelope.
"""

from __future__ import annotations

import secrets
from collections import defaultdict

from kustos.archive.models import JournalEndpoint, Mailbox
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from kustos.sources.journal_report import JournalReportInvalid, unwrap_journal
from kustos.sources.smtp import Spool, SpoolItem
from kustos.tenants.models import Customer


def endpoint(customer: Customer) -> JournalEndpoint:
    found = JournalEndpoint.objects.filter(customer=customer).first()
    if found is None:
        found = JournalEndpoint.objects.create(customer=customer, local_part="journal-" + secrets.token_hex(8))
    return found


def address(customer: Customer) -> str:
    return f"{endpoint(customer).local_part}@{runtime.settings().smtp_domain}"


def resolve_recipient(rcpt: str) -> str | None:
    """Journal address → customer id, None for unknown addresses (rejected at RCPT)."""
    local, _, domain = rcpt.strip().lower().rpartition("@")
    if domain != runtime.settings().smtp_domain.lower():
        return None
    found = JournalEndpoint.objects.filter(local_part=local).select_related("customer").first()
    if found is None or found.customer.status != Customer.Status.ACTIVE:
        return None
    return found.customer_id


def _mailboxes(customer: Customer, sender: str, recipients: list[str]) -> list[str]:
    """Mailboxes a journaled message is filed under: internal participants when known."""
    addresses = [a.lower() for a in [sender, *recipients] if a]
    domains = {a.rpartition("@")[2] for a in Mailbox.objects.filter(customer=customer).values_list("address", flat=True)}
    internal = [a for a in addresses if a.rpartition("@")[2] in domains] if domains else []
    return sorted(set(internal)) or sorted(set(recipients)) or ["journal"]


def incoming_for(item: SpoolItem, raw: bytes, customer: Customer) -> list[Incoming]:
    env = item.envelope
    result = unwrap_journal(raw, env.mail_from, env.rcpt_tos)
    recipients = [r.lower() for r in result.recipients]
    return [Incoming(raw=result.original, mailbox=box, folders=["Journal"], source="smtp", source_ref=item.name,
                     envelope_from=result.envelope_sender, envelope_to=recipients)
            for box in _mailboxes(customer, result.envelope_sender, recipients)]


def drain(spool: Spool, limit: int = 200) -> int:
    """Ingest up to ``limit`` spooled items; returns how many were acknowledged."""
    claimed = spool.claim(limit)
    by_customer: dict[str, list[SpoolItem]] = defaultdict(list)
    for item in claimed:
        by_customer[item.envelope.customer].append(item)
    done = 0
    for customer_id, items in by_customer.items():
        customer = Customer.objects.filter(id=customer_id).first()
        if customer is None:
            for item in items:
                spool.fail(item, f"customer {customer_id} no longer exists")
            continue
        done += _drain_customer(spool, customer, items)
    return done


def _drain_customer(spool: Spool, customer: Customer, items: list[SpoolItem]) -> int:
    ready: list[tuple[SpoolItem, list[Incoming]]] = []
    with Ingestor(customer, workers=1).session() as ingestor:
        for item in items:
            raw = item.read()
            try:
                ready.append((item, incoming_for(item, raw, customer)))
            except JournalReportInvalid as exc:
                # Keep the bytes as they arrived: quarantined with the reason, then acknowledged.
                ingestor.quarantine("smtp", item.name, f"broken journal report: {exc}", raw)
                spool.ack(item)
        try:
            ingestor.run_batch([inc for _, incs in ready for inc in incs])
        except Exception:
            for item, _ in ready:
                spool.release(item)
            raise
    for item, _ in ready:
        spool.ack(item)
    return len(ready)
