"""Shared by the Microsoft 365 and Gmail cleanup tests: a customer of its own, messages with a
Message-ID and Date, making archived messages old, and the vault's view of every message."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pytest

from kustos.archive.models import Message, MessageRef
from kustos.core import runtime
from tests import factories

NOW = datetime.now(UTC)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mail(i: int, tag: str, to: str, days_ago: int = 0) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"sender{i}@partner.example"
    msg["To"] = to
    msg["Subject"] = f"{tag} message {i}"
    msg["Date"] = format_datetime(NOW - timedelta(days=days_ago))
    msg["Message-ID"] = f"<{tag}{i}@partner.example>"
    msg.set_content(f"{tag} body {i}\n" + "line\n" * (10 * i))
    return msg.as_bytes().replace(b"\n", b"\r\n")


def make_old(customer: Any, raws: Iterable[bytes], days: int) -> int:
    """Give the archived references of these messages a mailbox receive time ``days`` ago."""
    return MessageRef.objects.filter(message__customer=customer, message__sha256__in=[sha(r) for r in raws]).update(
        received_at=NOW - timedelta(days=days))


def vault_view(customer: Any) -> dict[str, str]:
    """Every archived message's id → the SHA-256 of its bytes read back from the vault."""
    store = runtime.store_for(customer.id)
    return {m.id: sha(store.get(m.vault_id)) for m in Message.objects.filter(customer=customer)}


@pytest.fixture
def cloud_customer(db, tmp_path, settings):
    """A customer whose vault and index live in this test's tmp_path."""
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    customer = factories.customer(factories.partner("Cleanup Cloud Partner"), "Cleanup Cloud Kunde")
    yield customer
    runtime.reset()


def seal(customer: Any) -> None:
    """Close the customer's open ledger batch (as the periodic sealing does)."""
    runtime.store_for(customer.id).ledger.seal(force=True)
