"""COMPLIANCE.md requirement 5 (and 13): `kustos vault verify` recomputes hashes and the ledger,
checks the archive in both directions against the database and names ARCHIVE ids: a flipped byte
in a pack names the message (``ms_…``) and its customer, a deleted Message row leaves an orphan
vault object that is named, a tombstoned message is expected to be missing, and the audit chain
is verified too. Exit 1 on any problem. Same check from the API and the dashboard."""

from __future__ import annotations

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.models import Message
from kustos.archive.services import verify_archive
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.lifecycle.models import Tombstone
from tests import factories
from tests.integration.compliance.evidence_world import cli_json, cli_run, flip_byte, make_world
from tests.integration.compliance.evidence_world import tsa as tsa  # noqa: F401 - fixture
from tests.integration.compliance.evidence_world import world as world  # noqa: F401 - fixture
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


def test_req05_verify_green_then_a_flipped_byte_names_the_archive_id(world, capsys, monkeypatch):
    world.seal()
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 0 and report["ok"] is True, report
    assert report["messages"]["checked"] == 4 and report["audit"]["ok"] is True
    assert not report["messages"]["altered"] and not report["messages"]["unaccounted"]

    victim = world.messages[2]
    flip_byte(world, victim.vault_id)
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", world.customer.id)
    assert code == 1 and report["ok"] is False
    altered = report["messages"]["altered"]
    assert [(a["message"], a["customer_name"], a["part"]) for a in altered] == [
        (victim.id, "Beweis Kunde", "message")]
    code, out, err = cli_run(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 1 and f"ALTERED {victim.id} {world.customer.id} (Beweis Kunde)" in err
    assert "1 altered" in out


def test_req05_original_msg_bytes_are_checked(world, capsys, monkeypatch):
    first = world.messages[0]
    assert first.original_vault_id and first.original_kind == "msg"
    flip_byte(world, first.original_vault_id)
    code, report = cli_json(capsys, monkeypatch, "vault", "verify")
    assert code == 1
    assert [(a["message"], a["part"]) for a in report["messages"]["altered"]] == [(first.id, "original")]


def test_req05_deleted_row_leaves_a_named_orphan_and_a_tombstone_is_fine(world, capsys, monkeypatch):
    gone = world.messages[1]
    Message.objects.filter(id=gone.id).delete()  # behind the archive's back: no tombstone
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 1
    assert [(u["vault_id"], u["kind"]) for u in report["messages"]["unaccounted"]] == [(gone.vault_id, "mail")]
    assert [(g["seq_from"], g["seq_to"]) for g in report["messages"]["missing"]] == [(gone.seq, gone.seq)]
    code, _, err = cli_run(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 1 and f"UNACCOUNTED {gone.vault_id}" in err

    # A tombstone accounts for it; while its pack is still stored it is listed, not an error.
    Tombstone.objects.create(customer=world.customer, message_id=gone.id, seq=gone.seq, sha256=gone.sha256,
                             vault_id=gone.vault_id, size=gone.size, approved_by=["chef@beweis.example"])
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 0 and report["ok"] is True
    assert [t["message"] for t in report["messages"]["tombstoned_present"]] == [gone.id]
    # the first message's original .msg goes with it: its tombstone names the original too
    first = world.messages[0]
    Message.objects.filter(id=first.id).delete()
    Tombstone.objects.create(customer=world.customer, message_id=first.id, seq=first.seq, sha256=first.sha256,
                             vault_id=first.vault_id, size=first.size)
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 1 and [u["vault_id"] for u in report["messages"]["unaccounted"]] == [first.original_vault_id]
    Tombstone.objects.filter(message_id=first.id).update(original_vault_id=first.original_vault_id)
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 0, report
    assert sorted((t["message"], t["vault_id"]) for t in report["messages"]["tombstoned_present"]) == sorted([
        (gone.id, gone.vault_id), (first.id, first.vault_id), (first.id, first.original_vault_id)])


def test_req05_tombstoned_messages_missing_with_their_year_are_expected(db, tmp_path, settings, tsa, capsys,
                                                                         monkeypatch):
    world = make_world(tmp_path, settings, tsa, count=3)
    store = world.store()
    years = {m.retention_year for m in world.messages}
    assert len(years) == 1
    # Deletion as requirement 11 does it: tombstones, rows removed, the expired year's packs dropped;
    # here the last message is left without a tombstone.
    *deleted, kept = world.messages
    for m in deleted:
        _tombstone(world, m)
    Message.objects.filter(id__in=[m.id for m in deleted]).delete()
    store.drop_retention_year(years.pop())
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 1
    assert [(m["message"], m["reason"]) for m in report["messages"]["missing"]] == [
        (kept.id, "stored object is missing")]
    assert report["messages"]["tombstoned_missing"] == 2

    _tombstone(world, kept)
    Message.objects.filter(id=kept.id).delete()
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 0 and report["ok"] is True, report
    assert report["messages"]["tombstoned_missing"] == 3 and not report["messages"]["unaccounted"]


def _tombstone(world, m: Message) -> None:
    Tombstone.objects.create(customer=world.customer, message_id=m.id, seq=m.seq, sha256=m.sha256,
                             vault_id=m.vault_id, original_vault_id=m.original_vault_id, size=m.size)


def test_req05_missing_object_of_a_row_is_named(world, capsys, monkeypatch):
    victim = world.messages[3]
    Message.objects.filter(id=victim.id).update(vault_id="0" * 64)
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 1
    assert [(m["message"], m["reason"]) for m in report["messages"]["missing"]] == [
        (victim.id, "stored object is missing")]
    # ... and the real object is now unaccounted for
    assert [u["vault_id"] for u in report["messages"]["unaccounted"]] == [victim.vault_id]


def test_req05_broken_audit_chain_fails_verify(world, capsys, monkeypatch):
    ev = audit.record("test.event", actor="cli", customer=world.customer)
    AuditEvent.objects.filter(seq=ev.seq).update(target="edited")
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 1 and report["audit"]["ok"] is False
    assert report["audit"]["broken"][0]["seq"] == ev.seq


def test_req05_verify_now_from_api_and_dashboard(world, monkeypatch):
    admin = factories.user("it@beweis.example", "customer_admin", customer=world.customer)
    token = tokens.create(admin, "t")[1]
    resp = Client().post(f"/api/v1/customers/{world.customer.id}/verify", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["ok"] is True and body["messages"] == 4 and body["problems"] == []
    victim = world.messages[1]
    flip_byte(world, victim.vault_id)
    body = Client().post(f"/api/v1/customers/{world.customer.id}/verify", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body["ok"] is False and any(victim.id in p for p in body["problems"])
    page = sign_in(Client(), admin).post(f"/customers/{world.customer.id}/integrity/verify/", follow=True)
    html = page.content.decode()
    assert page.status_code == 200 and victim.id in html
    assert "Problems found" in html and "1 altered" in html

    # A large archive: "Verify now" queues a vault.verify job whose result is the same report.
    monkeypatch.setattr(verify_archive, "INLINE_LIMIT", 3)
    resp = Client().post(f"/api/v1/customers/{world.customer.id}/verify", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 202, resp.content
    job = Job.objects.get(id=resp.json()["job"])
    assert job.kind == "vault.verify" and job.customer_id == world.customer.id
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result["ok"] is False
    assert any(victim.id in p for p in job.result["problems"])
    resp = sign_in(Client(), admin).post(f"/customers/{world.customer.id}/integrity/verify/")
    assert resp.status_code == 302 and resp["Location"].startswith("/jobs/jb_")
    job_page = sign_in(Client(), admin).get(resp["Location"])
    assert job_page.status_code == 200 and "Archive verification" in job_page.content.decode()
    german = sign_in(Client(), admin).get(f"/customers/{world.customer.id}/integrity/",
                                          HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Jetzt prüfen" in german and "Probleme gefunden" in german and "1 verändert" in german
    assert AuditEvent.objects.filter(action="vault.verify", customer_id=world.customer.id).count() == 2 + 1 + 1


def test_req05_empty_customer_is_green_and_a_lost_key_names_every_message(world, capsys, monkeypatch):
    factories.customer(world.customer.partner, "Leer Kunde")
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Leer Kunde")
    assert code == 0 and report["ok"] is True and report["messages"]["checked"] == 0

    vault = runtime.vault_for(world.customer.id)
    vault.destroy_customer(world.customer.id)  # the data key and every object gone, the rows still there
    runtime.reset()
    code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
    assert code == 1
    assert sorted(m["message"] for m in report["messages"]["missing"]) == sorted(m.id for m in world.messages)
    assert {m["reason"] for m in report["messages"]["missing"]} == {"the customer's data key is missing"}
    assert not runtime.vault_for(world.customer.id).has_key(world.customer.id)  # verifying created no key
