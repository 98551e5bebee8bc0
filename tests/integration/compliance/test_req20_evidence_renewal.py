"""COMPLIANCE.md requirement 20: evidence records per message (inclusion proof + time-stamp token)
are renewed RFC 4998 style before the TSA certificate or the hash algorithm expires: each renewal
token stamps (root || H(previous token)), is stored beside the batch (the batch object is never
rewritten), `kustos vault verify` checks the chain, `kustos vault proof` exports it and openssl
accepts every link. A daily check warns the operators ahead of time and renews when configured."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest
from django.test import Client

from kustos.archive.services import evidence_renewal
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from tests import factories
from tests.integration.compliance.evidence_world import cli_json, make_world
from tests.integration.compliance.openssl_tsa import OPENSSL, make_pki, serve, ts_verify
from tests.integration.web.session import sign_in

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(OPENSSL is None, reason="openssl binary not installed")]


def _use_tsa(settings, tsa, ca_file, **extra) -> None:
    settings.KUSTOS = replace(settings.KUSTOS, tsa_url=tsa.url, tsa_ca_file=str(ca_file), **extra)
    runtime.reset()


def test_req20_renewal_before_the_tsa_certificate_expires(db, tmp_path, settings, capsys, monkeypatch, mailoutbox):
    operator = factories.user("ops@kustos.example", "operator", totp=True)
    with serve(make_pki(tmp_path / "old-tsa", tsa_days=30, name="Old TSA")) as old, \
            serve(make_pki(tmp_path / "new-tsa", tsa_days=3650, name="New TSA")) as new:
        world = make_world(tmp_path, settings, old)
        world.seal()
        store = world.store()
        [batch] = store.ledger.batch_names()
        batch_blob = store.ctx.backend.load(batch)

        # The daily check warns the operators 90 days ahead (mail + audit + banner), renews nothing yet.
        result = evidence_renewal.daily_check()
        assert [w["customer"] for w in result["warnings"]] == [world.customer.id]
        assert result["renewed"] == [] and result["mailed"] == 1
        assert mailoutbox[-1].to == [operator.email] and "Beweis Kunde" in mailoutbox[-1].body
        assert AuditEvent.objects.filter(action="evidence.expiry_warning", customer_id=world.customer.id).exists()
        home = sign_in(Client(), operator).get("/").content.decode()
        assert 'data-testid="evidence-warning"' in home and "Beweis Kunde" in home
        german_home = sign_in(Client(), operator).get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert "Die Zeitstempel-Beweise von Beweis Kunde beruhen auf einem TSA-Zertifikat" in german_home
        admin = factories.user("it@beweis.example", "customer_admin", customer=world.customer)
        page = sign_in(Client(), admin).get(f"/customers/{world.customer.id}/integrity/")
        assert page.status_code == 200 and 'data-testid="evidence-expiry-banner"' in page.content.decode()
        german = sign_in(Client(), admin).get(f"/customers/{world.customer.id}/integrity/",
                                              HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert "Das TSA-Zertifikat von 1 Ledger-Block läuft am" in german
        assert world.tsa is old

        code, due = cli_json(capsys, monkeypatch, "vault", "renew", "--customer", "Beweis Kunde", "--dry-run")
        assert code == 0 and [d["batch"] for d in due["due"]] == [batch] and due["renewed"] == []
        assert due["due"][0]["reason"].startswith("TSA certificate expires")

        # Renewal through a TSA whose certificate lasts longer.
        both = tmp_path / "cas.pem"
        both.write_bytes(old.ca_file.read_bytes() + new.ca_file.read_bytes())
        _use_tsa(settings, new, both)
        code, out = cli_json(capsys, monkeypatch, "vault", "renew", "--customer", "Beweis Kunde")
        assert code == 0 and [(r["batch"], r["index"], r["algorithm"]) for r in out["renewed"]] == [
            (batch, 1, "sha256")]
        assert AuditEvent.objects.filter(action="evidence.renew", customer_id=world.customer.id).count() == 1
        code, again = cli_json(capsys, monkeypatch, "vault", "renew", "--customer", "Beweis Kunde")
        assert code == 0 and again["renewed"] == []  # the new certificate is valid for years
        assert world.store().ctx.backend.load(batch) == batch_blob  # the batch object is never rewritten
        assert evidence_renewal.daily_check()["warnings"] == []

        # A stronger hash: renew with sha512 (chain: root || SHA-512(renewal 1)).
        code, out = cli_json(capsys, monkeypatch, "vault", "renew", "--before", "100000", "--algorithm", "sha512")
        assert code == 0 and [(r["index"], r["algorithm"]) for r in out["renewed"]] == [(2, "sha512")]
        code, bad = cli_json(capsys, monkeypatch, "vault", "renew", "--algorithm", "md5")
        assert code == 1 and "unknown hash algorithm 'md5'" in bad

        code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
        assert code == 0 and report["ok"] is True, report

        # The exported evidence carries the renewal chain; openssl accepts every link.
        msg = world.messages[1]
        code, proof = cli_json(capsys, monkeypatch, "vault", "proof", "--customer", "Beweis Kunde",
                               "-o", str(tmp_path / "ev"), msg.vault_id)
        assert code == 0 and proof["renewals"] == 2
        ev = tmp_path / "ev"
        root, token = (ev / "root.bin").read_bytes(), (ev / "token.tsr").read_bytes()
        r1, r2 = (ev / "renewal-1.bin").read_bytes(), (ev / "renewal-2.bin").read_bytes()
        assert r1 == root + hashlib.sha256(token).digest()
        assert r2 == root + hashlib.sha512((ev / "renewal-1.tsr").read_bytes()).digest()
        assert ts_verify(ev / "root.bin", ev / "token.tsr", old.ca_file).returncode == 0
        for n in (1, 2):
            run = ts_verify(ev / f"renewal-{n}.bin", ev / f"renewal-{n}.tsr", new.ca_file)
            assert run.returncode == 0 and "Verification: OK" in run.stdout, run.stderr
        for n in (1, 2):  # the CA of the configured TSA (KUSTOS_TSA_CA_FILE) is exported beside
            assert ts_verify(ev / f"renewal-{n}.bin", ev / f"renewal-{n}.tsr", ev / "ca.pem", ev / "tsa.pem").returncode == 0
        doc = json.loads((ev / "proof.json").read_text())
        assert [(r["index"], r["algorithm"]) for r in doc["renewals"]] == [(1, "sha256"), (2, "sha512")]

        # A renewal altered in storage breaks `vault verify`.
        name = next(iter(store.ctx.backend.list(f"customers/{world.customer.id}/ledger-renewal/")))
        blob = bytearray(store.ctx.backend.load(name))
        blob[-5] ^= 1
        store.ctx.backend.store(name, bytes(blob))
        code, report = cli_json(capsys, monkeypatch, "vault", "verify", "--customer", "Beweis Kunde")
        assert code == 1 and any("ledger" == d.get("type") for d in report["damaged"])


def test_req20_hash_sunset_and_automatic_renewal(db, tmp_path, settings, capsys, monkeypatch):
    with serve(make_pki(tmp_path / "tsa", tsa_days=3650)) as tsa:
        world = make_world(tmp_path, settings, tsa, count=2)
        world.seal()
        code, out = cli_json(capsys, monkeypatch, "vault", "renew", "--dry-run")
        assert code == 0 and out["due"] == []
        _use_tsa(settings, tsa, tsa.ca_file, evidence_hash_sunset="sha256:2000")
        code, out = cli_json(capsys, monkeypatch, "vault", "renew", "--dry-run")
        assert code == 0 and out["due"][0]["reason"] == "hash algorithm sha256 weakens from 2000"
        _use_tsa(settings, tsa, tsa.ca_file, evidence_hash_sunset="sha256:2000", evidence_auto_renew=True,
                 evidence_renew_algorithm="sha384")
        result = evidence_renewal.daily_check()
        assert [(r["customer"], r["algorithm"]) for r in result["renewed"]] == [(world.customer.id, "sha384")]
        assert evidence_renewal.daily_check()["renewed"] == []  # sha384 is not weakening
        _use_tsa(settings, tsa, tsa.ca_file, evidence_hash_sunset="bogus")
        code, err = cli_json(capsys, monkeypatch, "vault", "renew")
        assert code == 1 and "hash sunset 'bogus'" in err
