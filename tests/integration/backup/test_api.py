"""/api/v1 backup: enable, run (job), snapshots, ls, streamed ZIP download; roles decide."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.backup.models import BackupPlan
from kustos.jobs.tasks import execute
from tests import factories

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    _, token = tokens.create(user, "t")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_backup_api_contract(source, cloud):
    client = Client()
    auth = bearer(factories.user("pt@partner.example", "partner_tech", partner=source.customer.partner, totp=True))
    base = f"/api/v1/sources/{source.id}/backup"
    resp = client.post(base, {"services": ["files"]}, content_type="application/json", **auth)
    assert resp.status_code == 200 and resp.json()["services"] == ["files"] and resp.json()["scopes"] == "all"
    assert client.post(base, {"services": ["teams"]}, content_type="application/json", **auth).json()["detail"] == (
        "unknown backup service 'teams'; Toy Backup Cloud offers: files, mail")

    resp = client.post(base + "/run", **auth)
    assert resp.status_code == 202
    execute(resp.json()["id"])
    assert client.get(f"/api/v1/jobs/{resp.json()['id']}", **auth).json()["state"] == "succeeded"

    snaps = client.get(base + "/snapshots", **auth).json()
    assert len(snaps) == 1 and snaps[0]["items"] == 4 and snaps[0]["complete"] is True
    rows = client.get(base + "/ls", {"account": "anna", "path": "Documents"}, **auth).json()
    assert [(r["path"], r["size"]) for r in rows] == [("Documents/notes.txt", 1200), ("Documents/report.pdf", 300_000)]
    assert client.get(base + "/ls", {"snapshot": "nope", "account": "anna"}, **auth).status_code == 404
    assert client.get(base + "/ls", {"account": "anna", "path": "Nowhere"}, **auth).status_code == 404

    resp = client.get(base + "/download", {"snapshot": snaps[0]["id"], "account": "anna"}, **auth)
    assert resp.status_code == 200 and resp.streaming and resp["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(resp.streaming_content))) as zf:
        got = hashlib.sha256(zf.read("anna/Documents/report.pdf")).hexdigest()
    assert got == hashlib.sha256(cloud.accounts["anna"]["d1"].content).hexdigest()

    resp = client.post(base, {"services": ["files"], "paused": True}, content_type="application/json", **auth)
    assert resp.json()["paused"] is True and client.get(base, **auth).json()["paused"] is True

    overview = client.get(f"/api/v1/customers/{source.customer_id}/backup", **auth).json()
    assert {(r["account"], r["status"]) for r in overview} == {("anna", "ok"), ("ben", "ok")}


def test_operator_sees_snapshot_lists_but_cannot_browse_or_manage(source, cloud):
    BackupPlan.objects.create(customer=source.customer, source=source, services=["files"])
    client = Client()
    op = bearer(factories.user("op@platform.example", "operator", totp=True))
    base = f"/api/v1/sources/{source.id}/backup"
    assert client.get(base + "/snapshots", **op).status_code == 200
    assert client.get(base + "/ls", **op).status_code == 403
    assert client.get(base + "/download", **op).status_code == 403
    assert client.post(base + "/run", **op).status_code == 403
    eu = bearer(factories.user("eu@kunde.example", "end_user", customer=source.customer))
    assert client.get(base + "/snapshots", **eu).status_code == 403
