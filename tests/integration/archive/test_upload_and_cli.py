"""Resumable upload through the API (then the import job), and the archive CLI commands."""

from __future__ import annotations

import hashlib
import json
import mailbox
import shutil
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.models import Message, Upload
from tests import factories

pytestmark = pytest.mark.django_db


def build_mbox(path: Path, n: int) -> list[bytes]:
    box = mailbox.mbox(str(path))
    raws = []
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = f"sender{i}@example.org"
        msg["To"] = "kunde@example.com"
        msg["Subject"] = f"Upload test {i}"
        msg["Message-ID"] = f"<up{i}@example.org>"
        msg.set_content(f"body {i} zebra")
        box.add(msg)
        raws.append(msg.as_bytes())
    box.flush()
    box.close()
    return raws


def test_resumable_upload_imports(archive_customer, tmp_path: Path, django_capture_on_commit_callbacks):
    user = factories.user("tech@p.example", "partner_tech", partner=archive_customer.partner)
    _, secret = tokens.create(user, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    client = Client()
    path = tmp_path / "in.mbox"
    build_mbox(path, 12)
    data = path.read_bytes()
    resp = client.post(f"/api/v1/customers/{archive_customer.id}/uploads",
                       {"filename": "in.mbox", "size": len(data), "mailbox": "kunde@example.com"},
                       content_type="application/json", **auth)
    assert resp.status_code == 201, resp.content
    up = resp.json()["id"]
    half = len(data) // 2
    r1 = client.put(f"/api/v1/uploads/{up}?offset=0", data[:half], content_type="application/octet-stream", **auth)
    assert r1.status_code == 200 and r1.json()["received"] == half
    # a retried chunk at the wrong offset is refused, the client resumes from `received`
    bad = client.put(f"/api/v1/uploads/{up}?offset=0", data[:10], content_type="application/octet-stream", **auth)
    assert bad.status_code == 422 and f"continues at {half}" in bad.json()["detail"]
    resume = client.get(f"/api/v1/uploads/{up}", **auth).json()["received"]
    r2 = client.put(f"/api/v1/uploads/{up}?offset={resume}", data[resume:], content_type="application/octet-stream",
                    **auth)
    assert r2.json()["received"] == len(data)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/api/v1/uploads/{up}/complete", **auth)
    assert done.status_code == 202
    job = client.get(f"/api/v1/jobs/{done.json()['id']}", **auth).json()
    assert job["state"] == "succeeded", job
    assert job["result"]["imported"] == 12
    assert Message.objects.filter(customer=archive_customer).count() == 12
    assert Upload.objects.get(id=up).state == "complete"


def kustos(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, timeout=300)


def test_cli_import_search_show_raw_export(tmp_path: Path, cli_env: dict):
    home = cli_env
    path = tmp_path / "box.mbox"
    raws = build_mbox(path, 6)
    partner = json.loads(kustos(home, "partner", "create", "P", "--json").stdout)
    cust = json.loads(kustos(home, "customer", "create", "--partner", partner["id"], "K", "--json").stdout)
    out = kustos(home, "import", "--customer", cust["id"], "--mailbox", "kunde@example.com", str(path), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"imported": 6, "duplicates": 0, "quarantined": 0, "skipped": 0, "errors": [],
                                      "excluded": 0, "excluded_by_rule": {}}
    again = json.loads(kustos(home, "import", "--customer", cust["id"], "--mailbox", "kunde@example.com", str(path),
                              "--json").stdout)
    assert again["imported"] == 0 and again["duplicates"] == 6

    found = json.loads(kustos(home, "search", "--customer", cust["id"], "--json", "subject:upload", "zebra").stdout)
    assert found["total"] == 6
    hit = found["hits"][0]
    assert set(hit) >= {"id", "date", "from", "to", "subject", "folder", "mailbox", "sha256", "snippet"}
    assert hit["mailbox"] == "kunde@example.com"
    everything = json.loads(kustos(home, "search", "--customer", cust["id"], "--json", "*").stdout)
    assert everything["total"] == 6
    raw = kustos(home, "message", "raw", hit["id"]).stdout
    assert hashlib.sha256(raw).hexdigest() == hit["sha256"]
    # mbox storage rewrites line endings: compare by body content
    assert any(raw.split(b"\n\n", 1)[1] in r.replace(b"\r\n", b"\n") for r in raws)
    shown = json.loads(kustos(home, "message", "show", hit["id"], "--json").stdout)
    assert shown["sha256"] == hit["sha256"] and shown["refs"][0]["mailbox"] == "kunde@example.com"
    exp = json.loads(kustos(home, "export", "--customer", cust["id"], "--format", "mbox", "-o",
                            str(tmp_path / "out.mbox"), "--json", "zebra").stdout)
    assert exp["count"] == 6 and exp["sha256"] == hashlib.sha256((tmp_path / "out.mbox").read_bytes()).hexdigest()
    bad = kustos(home, "search", "--customer", cust["id"], "(unclosed")
    assert bad.returncode == 1 and b"invalid query" in bad.stderr
    stats = json.loads(kustos(home, "vault", "stats", "--customer", cust["id"], "--json").stdout)
    assert stats["objects"] >= 6
    # lose the search index entirely; `vault recover` rebuilds it from the vault
    shutil.rmtree(Path(home["KUSTOS_HOME"]) / "index")
    rec = json.loads(kustos(home, "vault", "recover", "--json").stdout)
    assert rec["archive"][cust["id"]]["indexed"] == 6
    again = json.loads(kustos(home, "search", "--customer", cust["id"], "--json", "zebra").stdout)
    assert again["total"] == 6
