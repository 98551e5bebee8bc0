"""Requirement 3: the exact received bytes are stored and their SHA-256 recorded; conversions
(an Outlook .msg converted to RFC 822) are stored beside the original, never instead of it.

The mails: tests/integration/archive_access/conftest.py (generated invoices and one journaled
message); the .msg comes from the shared corpus (python-oxmsg)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import imports, messages
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from tests.integration.archive_access import conftest as access_world
from tests.integration.archive_access.conftest import ALICE, BOB, World, mail

world = access_world.world
_fast_password_hashing = access_world._fast_password_hashing


def test_req03_api_download_is_byte_identical_with_the_recorded_sha256(world: World):
    base = datetime(2024, 1, 15, 12, 0, tzinfo=timezone.get_current_timezone())
    sent = {f"Genau {i}": mail(100 + i, ALICE if i % 2 == 0 else BOB, base + timedelta(days=i), f"Genau {i}")
            for i in range(4)}  # exactly these bytes arrive
    with Ingestor(world.customer, workers=1).session() as ing:
        ing.ingest([Incoming(raw=raw, mailbox=ALICE, folders=["INBOX"], source="test") for raw in sent.values()])
    client, headers = world.client("admin"), world.api("admin")
    for subject, raw in sent.items():
        msg = Message.objects.get(customer=world.customer, subject=subject)
        assert msg.sha256 == hashlib.sha256(raw).hexdigest() and msg.size == len(raw)
        resp = client.get(f"/api/v1/messages/{msg.id}/raw", **headers)
        assert resp.status_code == 200 and resp.content == raw
        assert resp["X-Content-SHA256"] == msg.sha256 == hashlib.sha256(resp.content).hexdigest()
        assert resp["Content-Type"] == "message/rfc822"
        assert client.get(f"/api/v1/messages/{msg.id}", **headers).json()["sha256"] == msg.sha256
        # the vault holds the same bytes under the message's vault id
        assert runtime.store_for(world.customer.id).get(msg.vault_id) == raw


def test_req03_an_msg_import_keeps_the_msg_original_beside_the_conversion(world: World, corpus, tmp_path):
    source = corpus / "msg" / "python-oxmsg" / "no-attachments.msg"
    original = source.read_bytes()
    result = imports.import_paths(world.customer, ALICE, [source], actor="test", workers=1)
    assert result.imported == 1
    msg = Message.objects.get(customer=world.customer, subject="This is the subject")
    assert msg.original_kind == "msg" and msg.original_vault_id and msg.original_vault_id != msg.vault_id
    converted = messages.raw(msg)
    assert msg.sha256 == hashlib.sha256(converted).hexdigest()  # the RFC 822 form is what is indexed
    assert b"This is the subject" in converted and converted != original
    assert messages.original(msg) == original  # the .msg, byte-exact
    # the dashboard downloads the original file unchanged
    resp = world.client("admin").get(f"/archive/messages/{msg.id}/original/")
    body = b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content
    assert resp.status_code == 200 and body == original
    # importing the same .msg again adds nothing: the original is known by its content
    again = imports.import_paths(world.customer, ALICE, [source], actor="test", workers=1)
    assert again.imported == 0 and Message.objects.filter(customer=world.customer, original_kind="msg").count() == 1


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_req03_line_endings_and_trailing_bytes_are_kept(world: World, newline: bytes, tmp_path):
    raw = newline.join([b"From: a@kunde.example", b"To: " + ALICE.encode(), b"Subject: Zeilen",
                        b"Message-ID: <zeilen@kunde.example>", b"", b"Text  ", b"", b""])
    path = tmp_path / "zeilen.eml"
    path.write_bytes(raw)
    assert imports.import_paths(world.customer, ALICE, [path], actor="test", workers=1).imported == 1
    msg = Message.objects.get(customer=world.customer, subject="Zeilen")
    resp = world.client("admin").get(f"/api/v1/messages/{msg.id}/raw", **world.api("admin"))
    assert resp.content == raw and msg.sha256 == hashlib.sha256(raw).hexdigest()
