"""Helpers of the mailbox cleanup tests: messages, delivery with an old INTERNALDATE, the server's view."""

from __future__ import annotations

import os
import time
from email.message import EmailMessage
from pathlib import Path

DAY = 86400


def mail(i: int, tag: str, body: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"sender{i}@partner.example"
    msg["To"] = "anna@kunde.example"
    msg["Subject"] = f"{tag} message {i}"
    msg["Message-ID"] = f"<{tag}{i}@partner.example>"
    msg.set_content(body or f"{tag} body {i}")
    return msg.as_bytes().replace(b"\n", b"\r\n")


def deliver(dovecot, user: str, folder: str, raw: bytes, age_days: float = 0) -> Path:
    """Deliver into a Maildir folder; Dovecot takes a Maildir file's mtime as its INTERNALDATE."""
    path = dovecot.deliver(user, folder, raw)
    if age_days:
        when = time.time() - age_days * DAY
        os.utime(path, (when, when))
    return path


def server_files(dovecot, user: str, folder: str) -> dict[str, bytes]:
    """The messages the server holds in a folder: file name → bytes."""
    base = dovecot.maildir(user, folder)
    return {p.name: p.read_bytes() for sub in ("cur", "new") for p in (base / sub).iterdir()}


def imap_config(dovecot, user: str, **extra) -> dict:
    return {"host": "127.0.0.1", "port": dovecot.imaps_port, "security": "tls", "username": user,
            "mailbox": f"{user}@kunde.example", "tls_verify": False, **extra}
