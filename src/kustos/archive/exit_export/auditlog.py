"""The customer's audit log in the exit export::

    audit/audit-log.jsonl   every event of the customer, oldest first: {"event", "prev_digest", "digest"}
    audit/chain-links.csv   seq, prev_digest, digest of every event from the customer's first to the
                            chain head (other customers' events only as digests), so the chain can
                            be followed without the database
    audit/chain.json        the head at export and how a digest is computed

digest = SHA256(previous digest as hex text || canonical JSON of the event: sorted keys, no spaces),
as ``audit.services`` writes it. Streamed (constant memory)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from kustos.archive.exit_export.files import ExportDir
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent, AuditHead
from kustos.tenants.models import Customer

CHUNK = 2000


def _events(customer: Customer, head: int, counter: list[int]) -> Iterator[bytes]:
    events = AuditEvent.objects.filter(customer_id=customer.id, seq__lte=head).order_by("seq")
    for ev in events.iterator(chunk_size=CHUNK):
        counter[0] += 1
        yield json.dumps({"event": audit._fields(ev), "prev_digest": ev.prev_digest,  # noqa: SLF001 - the chain's own fields
                          "digest": ev.digest}, sort_keys=True).encode() + b"\n"


def _links(first: int, head: int) -> Iterator[bytes]:
    yield b"seq,prev_digest,digest\r\n"
    rows = AuditEvent.objects.filter(seq__gte=first, seq__lte=head).order_by("seq").values_list(
        "seq", "prev_digest", "digest")
    for seq, prev, digest in rows.iterator(chunk_size=CHUNK):
        yield f"{seq},{prev},{digest}\r\n".encode()


def write(customer: Customer, out: ExportDir) -> int:
    """Write the three files; returns the number of the customer's events."""
    head = AuditHead.objects.filter(id=1).first()
    head_doc = {"seq": head.seq if head else 0, "digest": head.digest if head else "0" * 64}
    counter = [0]
    out.put("audit/audit-log.jsonl", _events(customer, head_doc["seq"], counter))
    first = AuditEvent.objects.filter(customer_id=customer.id).order_by("seq").values_list("seq", flat=True).first()
    out.put("audit/chain-links.csv", _links(first or head_doc["seq"] + 1, head_doc["seq"]))
    out.put("audit/chain.json", json.dumps({
        "head": head_doc, "events": counter[0],
        "digest": "SHA256(previous digest as hex text || canonical JSON of the event: sorted keys, no spaces)"},
        indent=2).encode())
    return counter[0]
