"""Shared pieces of the restore-to-mailbox tests: sample mail and running a restore job to its end."""

from __future__ import annotations

import hashlib
import imaplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from kustos.archive.services import mailbox_restore
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mail(i: int, tag: str, to: str, when: datetime) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"sender{i}@partner.example"
    msg["To"] = to
    msg["Subject"] = f"{tag} message {i}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{tag}{i}@partner.example>"
    msg.set_content(f"{tag} body {i}\nwith a second line")
    return msg.as_bytes().replace(b"\n", b"\r\n")


def restore(customer: Any, actor: Any = "cli", **options: Any) -> dict[str, Any]:
    """Request a restore and run its job here; the report."""
    job = mailbox_restore.request(customer, actor, origin="cli", **options)
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return dict(job.result)


def imap(dovecot: Any, user: str, password: str) -> imaplib.IMAP4:
    """A logged-in connection to the test Dovecot."""
    conn = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    conn.login(user, password)
    return conn


def wipe(conn_factory: Any, folder: str) -> None:
    """Delete every message of ``folder`` (what a user who deleted the mail did)."""
    conn = conn_factory()
    try:
        conn.select(f'"{folder}"')
        conn.store("1:*", "+FLAGS", "\\Deleted")
        conn.expunge()
    finally:
        conn.logout()
