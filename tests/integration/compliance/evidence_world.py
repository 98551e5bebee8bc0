"""A customer with a few archived messages, time-stamped by a local `openssl ts` TSA
(requirements 5, 19, 20, 21). Import the fixtures by name: ``tsa``, ``world``."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.cli import registry as cli
from kustos.core import runtime
from kustos.tenants.models import Customer
from tests import factories
from tests.integration.compliance.openssl_tsa import OPENSSL, OpensslTSA, make_pki, serve

BOX = "buchhaltung@beweis.example"
MSG_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"fake outlook message " * 20  # an 'original .msg'


def mail(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"lieferant{i}@supplier.example"
    msg["To"] = BOX
    msg["Subject"] = f"Rechnung {i}"
    msg["Date"] = format_datetime(datetime(2024, 3, 1 + i, 9, 0, tzinfo=UTC))
    msg["Message-ID"] = f"<beweis{i}@supplier.example>"
    msg.set_content(f"Rechnung {i} über {100 * (i + 1)} EUR")
    return msg.as_bytes()


@dataclass
class World:
    customer: Customer
    messages: list[Message]
    tsa: OpensslTSA
    home: Path

    def store(self):
        return runtime.store_for(self.customer.id)

    def seal(self) -> None:
        self.store().ledger.seal(force=True)


def ingest(customer: Customer, items: list[Incoming]) -> None:
    with Ingestor(customer, workers=1, batch_size=20).session() as ing:
        ing.ingest(items)


def make_world(tmp_path: Path, settings, tsa: OpensslTSA, count: int = 4) -> World:
    home = tmp_path / "home"
    home.mkdir()
    settings.KUSTOS = replace(settings.KUSTOS, home=home, tsa_url=tsa.url, tsa_ca_file=str(tsa.ca_file))
    runtime.reset()
    customer = factories.customer(factories.partner("Beweis Partner"), "Beweis Kunde")
    items = [Incoming(raw=mail(i), mailbox=BOX, folders=["INBOX"], source="test",
                      original=MSG_BYTES if i == 0 else None, original_kind="msg" if i == 0 else None)
             for i in range(count)]
    ingest(customer, items)
    msgs = list(Message.objects.filter(customer=customer).order_by("seq"))
    assert len(msgs) == count
    return World(customer, msgs, tsa, home)


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[OpensslTSA]:
    if OPENSSL is None:
        pytest.skip("openssl binary not installed")
    with serve(make_pki(tmp_path / "tsa")) as running:
        yield running


@pytest.fixture
def world(db, tmp_path: Path, settings, tsa: OpensslTSA) -> Iterator[World]:
    yield make_world(tmp_path, settings, tsa)
    runtime.reset()


def cli_run(capsys, monkeypatch, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli_json(capsys, monkeypatch, *argv: str) -> tuple[int, object]:
    code, out, err = cli_run(capsys, monkeypatch, *argv, "--json")
    return code, json.loads(out) if out.strip() else err


def flip_byte(world: World, vault_id: str, at: int = 20) -> Path:
    """Flip one byte of ``vault_id``'s blob in its pack on disk; returns the pack path."""
    entry = world.store().objects()[vault_id]
    pack = world.home / "vault" / "customers" / world.customer.id / entry.pack
    raw = bytearray(pack.read_bytes())
    raw[entry.offset + at] ^= 0x40
    pack.write_bytes(bytes(raw))
    return pack

