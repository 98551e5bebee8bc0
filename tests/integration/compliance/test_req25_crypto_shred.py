"""Requirement 25: every customer has its own data key; deleting a customer destroys the key
first (crypto-shred) and then the data — archive and backup objects alike — so any copy of the
storage left behind cannot be read; the deletion record remains as proof."""

from __future__ import annotations

import secrets
from email.message import EmailMessage

import pytest

from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from kustos.tenants.models import Customer, DeletionRecord
from kustos.tenants.services import customers
from kustos.vault import index as vault_index
from kustos.vault.errors import VaultError
from kustos.vault.keys import key_name
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_customers(tmp_path, settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    partner = factories.partner("Shred Partner")
    yield factories.customer(partner, "Shred A"), factories.customer(partner, "Shred B")
    runtime.reset()


def _fill(customer: Customer, token: str) -> tuple[str, str]:
    """One archived message and one backup object holding ``token``; returns their vault ids."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@shred.example", "b@shred.example", f"Geheim {token}"
    msg["Message-ID"] = f"<{token}@shred.example>"
    msg.set_content(f"Vertraulicher Inhalt {token}\n")
    with Ingestor(customer, workers=1).session() as ing:
        assert ing.ingest([Incoming(raw=msg.as_bytes(), mailbox="b@shred.example", folders=["INBOX"],
                                    source="test")]).imported == 1
    store = runtime.store_for(customer.id)
    backup = store.put(f"OneDrive file {token}".encode() * 50, kind="file", pool=vault_index.BACKUP)
    store.commit()
    return Message.objects.get(customer=customer).vault_id, backup.id


def test_req25_per_customer_keys_and_deletion_shreds_archive_and_backups(two_customers):
    a, b = two_customers
    tok_a, tok_b = secrets.token_hex(6), secrets.token_hex(6)
    mail_a, backup_a = _fill(a, tok_a)
    mail_b, backup_b = _fill(b, tok_b)
    vault = runtime.vault_for(a.id)
    assert runtime.vault_for(b.id) is vault  # same storage location: only the keys separate them
    backend = vault.backend
    key_a, key_b = vault.keys.load(a.id), vault.keys.load(b.id)
    assert key_a.key_id != key_b.key_id and key_a.enc_key != key_b.enc_key
    assert backend.exists(key_name(a.id)) and backend.exists(key_name(b.id))
    files_a = [n for n in backend.list(f"customers/{a.id}/") if n != key_name(a.id)]
    assert files_a and all(tok_a.encode() not in backend.load(n) for n in files_a)  # stored encrypted
    assert runtime.store_for(a.id).get(backup_a).startswith(b"OneDrive file")

    # a copy of A's stored objects (packs and index, not the key), as a storage backup would hold them
    copy = {n: backend.load(n) for n in files_a}

    record = customers.wipe(a.id, requested_by="it@shred.example")
    assert record.vault_record["key_destroyed"] is True and record.vault_record["key_id"] == key_a.key_id
    assert record.vault_record["method"].startswith("crypto-shred: data key destroyed")
    assert list(backend.list(f"customers/{a.id}/")) == []
    assert [n for n in backend.list("system/deletions/") if n.startswith(f"system/deletions/{a.id}-")]
    assert DeletionRecord.objects.filter(customer_id=a.id, customer_name="Shred A").count() == 1
    assert AuditEvent.objects.filter(action="customer.deleted", target=a.id).exists()
    assert not Customer.objects.filter(id=a.id).exists() and not Message.objects.filter(customer_id=a.id).exists()

    # the copy put back cannot be read: the key is gone, for the mail and the backup object alike
    for name, data in copy.items():
        backend.store(name, data)
    runtime.reset()
    vault = runtime.vault_for(b.id)  # the same storage location
    with pytest.raises(VaultError, match="no data key"):
        vault.keys.load(a.id)
    for oid in (mail_a, backup_a):
        with pytest.raises(VaultError):
            vault.store(a.id).get(oid)
    # the other customer is untouched
    assert tok_b.encode() in runtime.store_for(b.id).get(mail_b)
    assert runtime.store_for(b.id).get(backup_b).startswith(b"OneDrive file")


def test_req25_deletion_is_idempotent_and_keeps_one_record(two_customers):
    a, _b = two_customers
    _fill(a, secrets.token_hex(6))
    first = customers.wipe(a.id, requested_by="it@shred.example")
    again = customers.wipe(a.id, requested_by="someone-else@shred.example")
    assert again.id == first.id and DeletionRecord.objects.filter(customer_id=a.id).count() == 1
    assert first.vault_record["objects"] >= 2 and first.vault_record["files_deleted"] > 0
