"""Shared helpers of the retention tests (requirements 8–13): a customer with its own home,
mail with a given Date, ingest, and the CLI as JSON."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest

from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.cli import registry
from kustos.core import runtime
from tests import factories


def mail(i: int, date: str, *, sender: str = "lieferant@partner.example", tag: str = "rt") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "anna@kunde.example"
    msg["Subject"] = f"{tag} message {i}"
    msg["Message-ID"] = f"<{tag}{i}@partner.example>"
    msg["Date"] = date
    msg.set_content(f"{tag} body {i}")
    return msg.as_bytes().replace(b"\n", b"\r\n")


def ingest(customer, raws: list[bytes], *, mailbox: str = "anna@kunde.example", folder: str = "INBOX") -> list[str]:
    items = [Incoming(raw=raw, mailbox=mailbox, folders=[folder], source="import") for raw in raws]
    with Ingestor(customer, workers=1, batch_size=20).session() as ing:
        result = ing.ingest(items)
    assert result.imported == len(raws)
    return list(result.message_ids)


def approvers(customer, *emails: str) -> None:
    """Customer admins who may approve deletions."""
    for email in emails:
        factories.user(email, "customer_admin", customer=customer)


def cli(capsys, *argv: str) -> tuple[int, object]:
    capsys.readouterr()
    code = registry.run([*argv, "--json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 and out.out.strip() else out.err.strip())


@pytest.fixture
def customer(db, tmp_path, settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    runtime.reset()
    yield factories.customer(factories.partner("Aufbewahrung Partner"), "Aufbewahrung Kunde")
    runtime.reset()
