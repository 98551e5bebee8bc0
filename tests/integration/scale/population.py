"""Many customers, fast: a partner with N customers, each with a mailbox, a few messages, a source and
a finished source job, written with bulk_create (no vault, no index: the pages under test read rows)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from kustos.archive.models import Folder, Mailbox, Message, MessageRef, Source
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.search import Document
from kustos.tenants.models import Customer, Partner
from kustos.tenants.services import locations

MESSAGES_PER_CUSTOMER = 3


@dataclass
class Population:
    partner: Partner
    customers: list[Customer]
    sources: list[Source]


def populate(n: int, *, partner_name: str = "Scale Partner", messages: int = MESSAGES_PER_CUSTOMER) -> Population:
    partner = Partner.objects.create(name=partner_name)
    location = locations.default()
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [Customer(partner=partner, name=f"Kunde {i:05d}", location=location, mailbox_count=1,
                  storage_bytes=1000 * (i + 1)) for i in range(n)])
    mailboxes = Mailbox.objects.bulk_create(
        [Mailbox(customer=c, address=f"info@kunde{i:05d}.example") for i, c in enumerate(customers)])
    folders = Folder.objects.bulk_create([Folder(mailbox=m, path="INBOX") for m in mailboxes])
    rows = []
    for i, c in enumerate(customers):
        for k in range(messages):
            digest = hashlib.sha256(f"{c.id}/{k}".encode()).hexdigest()
            rows.append(Message(customer=c, seq=k + 1, sha256=digest, vault_id=f"v{digest[:40]}", size=1000 + k,
                                message_id=f"<{k}.{i}@kunde.example>", subject=f"Rechnung {k}",
                                from_addr=f"buchhaltung@kunde{i:05d}.example",
                                date=now - timedelta(days=k), indexed=True))
    msgs = Message.objects.bulk_create(rows, batch_size=2000)
    MessageRef.objects.bulk_create(
        [MessageRef(message=m, mailbox=mailboxes[j // messages], folder=folders[j // messages], source="import")
         for j, m in enumerate(msgs)], batch_size=2000)
    sources = Source.objects.bulk_create(
        [Source(customer=c, kind="imap", name=f"imap {i:05d}", services=["archive"], interval_minutes=15,
                config={"host": "imap.kunde.example", "port": 993, "username": f"info@kunde{i:05d}.example",
                        "security": "tls"},
                last_run_at=now - timedelta(minutes=5), last_success_at=now - timedelta(minutes=5),
                items_archived=messages)
         for i, c in enumerate(customers)], batch_size=2000)
    Job.objects.bulk_create(
        [Job(kind="source.run", customer_id=c.id, customer_name=c.name, partner=partner, state=Job.State.SUCCEEDED,
             params={"source": s.id}, progress=1.0, started_at=now - timedelta(minutes=5),
             finished_at=now - timedelta(minutes=4), created_by="scheduler")
         for c, s in zip(customers, sources, strict=True)], batch_size=2000)
    return Population(partner, customers, sources)


def index_messages(customer: Customer) -> int:
    """Put the customer's message rows into the search index (subject and a body naming the subject)."""
    docs = []
    for m in Message.objects.filter(customer=customer).prefetch_related("refs__mailbox", "refs__folder"):
        boxes = sorted({r.mailbox.address for r in m.refs.all()})
        folders = sorted({f"{r.mailbox.address}/{r.folder.path}" for r in m.refs.all()})
        docs.append(Document(id=m.id, customer=customer.id, date=m.date, mailboxes=boxes, folders=folders,
                             from_=m.from_addr, from_addr=[m.from_addr], subject=m.subject,
                             body=f"{m.subject} im Anhang", size=m.size, sha256=m.sha256, seq=m.seq,
                             message_id=m.message_id))
    index = runtime.search_index()
    index.add(docs)
    index.commit()
    return len(docs)
