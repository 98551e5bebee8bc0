"""A customer archive for the exit export tests: two mailboxes, nested and unsafe folder names,
a message filed in two folders, attachments, an original .msg, a sealed batch time-stamped by a
local `openssl ts` TSA and renewed once. Import the fixture ``exit_world`` (and ``tsa``)."""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.cli import registry as cli
from kustos.core import runtime
from kustos.tenants.models import Customer
from tests import factories
from tests.integration.compliance.evidence_world import MSG_BYTES, ingest, tsa  # noqa: F401 - fixture
from tests.integration.compliance.openssl_tsa import OpensslTSA

BOXES = ("anna@ausstieg.example", "bernd@ausstieg.example")
FOLDERS = ("INBOX", "Sent", "Projekte/2024", "Kunden: A|B?")


def mail(i: int, box: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"absender{i}@partner.example"
    msg["To"] = box
    msg["Subject"] = f"Vorgang {i} – Übergabe"
    msg["Date"] = format_datetime(datetime(2024, 6, 1 + i, 8, 30, tzinfo=UTC))
    msg["Message-ID"] = f"<ausstieg{i}@partner.example>"
    msg.set_content(f"Nachricht {i}\n")
    if i % 2 == 0:
        msg.add_attachment(os.urandom(2000), maintype="application", subtype="pdf", filename=f"beleg{i}.pdf")
    return msg.as_bytes()


@dataclass
class ExitWorld:
    customer: Customer
    home: Path
    tsa: OpensslTSA
    #: sha256 -> set of (mailbox, folder) it was archived in
    places: dict[str, set[tuple[str, str]]]
    two_folders: str  # sha256 of the message filed in two folders


def cli_json(monkeypatch, capsys, *argv: str) -> tuple[int, dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    capsys.readouterr()
    code = cli.run([*argv, "--json"])
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out)
    except ValueError:
        return code, {"error": (out + err).strip()}


@pytest.fixture
def exit_world(db, tmp_path: Path, settings, tsa: OpensslTSA, monkeypatch, capsys):  # noqa: F811 - fixture
    home = tmp_path / "home"
    home.mkdir()
    settings.KUSTOS = replace(settings.KUSTOS, home=home, tsa_url=tsa.url, tsa_ca_file=str(tsa.ca_file))
    runtime.reset()
    customer = factories.customer(factories.partner("Ausstieg Partner"), "Ausstieg Kunde")
    items: list[Incoming] = []
    places: dict[str, set[tuple[str, str]]] = {}
    for i in range(8):
        box, folder = BOXES[i % 2], FOLDERS[i % 4]
        folders = [folder, "Projekte/2024"] if i == 0 else [folder]
        raw = mail(i, box)
        places[hashlib.sha256(raw).hexdigest()] = {(box, f) for f in folders}
        items.append(Incoming(raw=raw, mailbox=box, folders=folders, source="test",
                              original=MSG_BYTES if i == 3 else None, original_kind="msg" if i == 3 else None))
    ingest(customer, items)
    runtime.store_for(customer.id).ledger.seal(force=True)
    code, out = cli_json(monkeypatch, capsys, "vault", "renew", "--customer", customer.id, "--before", "100000")
    assert code == 0 and out["renewed"], out
    assert Message.objects.filter(customer=customer).count() == 8
    two = next(s for s, p in places.items() if len(p) == 2)
    yield ExitWorld(customer, home, tsa, places, two)
    runtime.reset()
