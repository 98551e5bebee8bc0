"""The spool consumer of SMTP journaling: what is archived, unwrapped and filed where.

The receiver (kustos.sources.smtp) answers 250 only after the raw bytes and envelope are
fsynced into the spool; :func:`drain` ingests spooled items and acknowledges each one only
after its batch is committed, so a crash at any point re-ingests (deduplicated) rather
than loses mail.

What arrived is always archived byte-exact:

* plain journal mail (BCC journaling) is the message itself: filed under the journaling
  mailbox and, when it comes from a sender the customer trusts (journal.trusted), under
  every participant mailbox of the customer (journal_filing). From anyone else the archive
  does not believe the claimed sender and recipients: the mail stays in the journaling
  mailbox only, so nobody can plant a "received" mail in an employee's archive;
* an Exchange journal report is archived as received, under the journaling mailbox
  (folder ``Journal reports``). Only when it comes from a sender the customer trusts
  (journal.trusted) is it unwrapped as well: the embedded original is archived byte-exact
  as a second message, filed under the journaling mailbox with the report's envelope
  (BCC included) and under the customer's participant mailboxes. Both arrivals carry
  the spool item's name as source reference; the original's names the report's SHA-256.
  An untrusted or unreadable report is kept as received only, in its own folder, and
  nobody's mailbox gains it.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict

from kustos.archive.models import JournalEndpoint
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import alerts_ingest, journal
from kustos.archive.services.ingest import Ingestor
from kustos.archive.services.journal_filing import CustomerAddresses, customer_addresses, filings
from kustos.audit import ingest as audit_ingest
from kustos.core import runtime
from kustos.sources.journal_report import (
    JournalReportInvalid,
    header_participants,
    looks_like_journal_report,
    unwrap_journal,
)
from kustos.sources.smtp import Spool, SpoolItem
from kustos.tenants.models import Customer

log = logging.getLogger(__name__)

JOURNAL_FOLDER = "Journal"
REPORTS_FOLDER = "Journal reports"
UNTRUSTED_FOLDER = "Journal reports (untrusted sender, not unwrapped)"
UNREADABLE_FOLDER = "Journal reports (unreadable, not unwrapped)"


class _Context:
    """Per customer and drain run: endpoint, the customer's addresses, the journaling mailbox."""

    def __init__(self, customer: Customer) -> None:
        settings = runtime.settings()
        self.endpoint: JournalEndpoint = journal.endpoint(customer)
        self.owner: CustomerAddresses = customer_addresses(customer, settings.smtp_domain)
        self.mailbox = f"{self.endpoint.local_part}@{settings.smtp_domain}".lower()
        self.journal_domain = settings.smtp_domain.lower()

    def foreign_to_journal(self, addresses: list[str]) -> list[str]:
        """Addresses other than journaling addresses (those are never participants)."""
        return [a for a in addresses if a.rpartition("@")[2].lower() != self.journal_domain]


def _participants(ctx: _Context, *, raw_original: bytes, senders: list[str], recipients: list[str],
                  source_ref: str, envelope_from: str) -> list[Incoming]:
    header = header_participants(raw_original)
    return [Incoming(raw=raw_original, mailbox=f.mailbox, folders=[JOURNAL_FOLDER], source="smtp",
                     source_ref=source_ref, envelope_from=envelope_from, envelope_to=f.envelope_to)
            for f in filings(ctx.owner, [*senders, *header.senders],
                             ctx.foreign_to_journal([*recipients, *header.recipients]))]


def incoming_for(item: SpoolItem, raw: bytes, ctx: _Context) -> list[Incoming]:
    """What one spooled item becomes in the archive (see the module docstring)."""
    env = item.envelope
    smtp_to = [r.lower() for r in env.rcpt_tos]
    as_received = {"source": "smtp", "source_ref": item.name, "envelope_from": env.mail_from,
                   "envelope_to": smtp_to}
    if not looks_like_journal_report(raw):
        journal_copy = Incoming(raw=raw, mailbox=ctx.mailbox, folders=[JOURNAL_FOLDER], **as_received)
        if not journal.trusted(env, ctx.endpoint):
            return [journal_copy]
        return [journal_copy, *_participants(ctx, raw_original=raw, senders=[env.mail_from], recipients=smtp_to,
                                             source_ref=item.name, envelope_from=env.mail_from)]
    if not journal.trusted(env, ctx.endpoint):
        return [Incoming(raw=raw, mailbox=ctx.mailbox, folders=[UNTRUSTED_FOLDER], **as_received)]
    try:
        result = unwrap_journal(raw, env.mail_from, env.rcpt_tos)
    except JournalReportInvalid as exc:
        log.warning("journal report %s kept as received, not unwrapped: %s", item.name, exc)
        return [Incoming(raw=raw, mailbox=ctx.mailbox, folders=[UNREADABLE_FOLDER], **as_received)]
    report = Incoming(raw=raw, mailbox=ctx.mailbox, folders=[REPORTS_FOLDER], **as_received)
    link = f"{item.name} report-sha256:{hashlib.sha256(raw).hexdigest()}"
    recipients = [r.lower() for r in result.recipients]
    original = Incoming(raw=result.original, mailbox=ctx.mailbox, folders=[JOURNAL_FOLDER], source="smtp",
                        source_ref=link, envelope_from=result.envelope_sender, envelope_to=recipients)
    return [report, original, *_participants(ctx, raw_original=result.original, senders=[result.envelope_sender],
                                             recipients=recipients, source_ref=link,
                                             envelope_from=result.envelope_sender)]


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
    ctx = _Context(customer)
    incoming = [inc for item in items for inc in incoming_for(item, item.read(), ctx)]
    try:
        with Ingestor(customer, workers=1).session() as ingestor:
            ingestor.run_batch(incoming)
    except Exception:
        for item in items:
            spool.release(item)
        raise
    audit_ingest.record_batch(customer, source="smtp", endpoint=ctx.endpoint.local_part, count=len(items),
                              result=ingestor.result)
    alerts_ingest.batch_lag(customer, source="smtp", endpoint=ctx.endpoint.local_part,
                            message_ids=ingestor.result.message_ids)
    for item in items:
        spool.ack(item)
    return len(items)
