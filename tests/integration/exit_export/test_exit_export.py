"""Customer exit export (issue 19.3): `kustos customer export ID -o DIR` writes every message
byte-exact in its mailbox/folder tree (once per folder), index.csv with one row per file, the
evidence (proofs, tokens, renewals, TSA certificates) that verify offline, the audit log, a
README in English and German and MANIFEST.sha256 that `sha256sum -c` accepts."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from kustos.archive.exit_export import area, service
from kustos.archive.exit_export.files import ExportDir
from kustos.archive.models import Message
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.tenants.services import customers
from tests import factories
from tests.integration.compliance.evidence_world import MSG_BYTES
from tests.integration.exit_export.world import cli_json

WINDOWS_FORBIDDEN = set('<>:"\\|?*')


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def index_rows(root: Path) -> list[dict[str, str]]:
    with (root / "index.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def verify_py(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", str(root / "verify.py"), str(root)], capture_output=True, text=True,
                          timeout=120)


def test_exit_export_is_complete_byte_exact_and_verifies(exit_world, tmp_path, monkeypatch, capsys):
    w = exit_world
    out = tmp_path / "uebergabe"
    code, result = cli_json(monkeypatch, capsys, "customer", "export", w.customer.id, "-o", str(out))
    assert code == 0, result
    assert result["ok"] is True and result["problems"] == []
    assert result["messages"] == 8 and result["files"] == 9  # one message in two folders
    assert result["path"] == str(out)
    on_disk = files_of(out)
    assert result["bytes"] == sum((out / f).stat().st_size for f in on_disk if f != "MANIFEST.sha256")
    assert not [f for f in on_disk if f.endswith(".part")]

    # every message file: the archived bytes, in its mailbox and folder, names safe on Windows
    archived = {m.sha256: m for m in Message.objects.filter(customer=w.customer)}
    rows = index_rows(out)
    emls = sorted(f for f in on_disk if f.endswith(".eml"))
    assert len(rows) == len(emls) == 9 and sorted(r["path"] for r in rows) == emls
    seen: dict[str, set[tuple[str, str]]] = {}
    for row in rows:
        path = out / row["path"]
        assert sha(path) == row["sha256"] and row["sha256"] in archived, row["path"]
        m = archived[row["sha256"]]
        assert row["archive_id"] == m.id and int(row["size"]) == m.size == path.stat().st_size
        assert row["path"].endswith(f"_{m.id}.eml") and row["retention_end"] and row["legal_hold"] == "no"
        assert row["message_id"] == m.message_id and row["subject"] == m.subject
        seen.setdefault(row["sha256"], set()).add((row["mailbox"], row["folder"]))
        for part in row["path"].split("/"):
            assert not (set(part) & WINDOWS_FORBIDDEN) and part == part.rstrip(" ."), part
    assert seen == w.places
    two = [r for r in rows if r["sha256"] == w.two_folders]
    assert {r["folder"] for r in two} == {"INBOX", "Projekte/2024"}
    assert len({r["path"] for r in two}) == 2
    unsafe = next(r for r in rows if r["folder"] == "Kunden: A|B?")
    assert "/Kunden_ A_B_~" in unsafe["path"]
    msg_row = next(r for r in rows if r["original_path"])
    assert (out / msg_row["original_path"]).read_bytes() == MSG_BYTES

    # MANIFEST.sha256 lists every other file and sha256sum accepts it
    listed = [line.split("  ", 1)[1] for line in (out / "MANIFEST.sha256").read_text().splitlines()]
    assert sorted(listed) == sorted(on_disk - {"MANIFEST.sha256"})
    check = subprocess.run(["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    # the evidence: proofs for every file, tokens, the renewal, the TSA certificates; verify.py passes
    batches = sorted((out / "evidence" / "batches").iterdir())
    assert batches and all((b / "token.tsr").is_file() and (b / "renewal-1.tsr").is_file() for b in batches)
    proofs = [json.loads(line) for b in batches for line in (b / "proofs.jsonl").read_text().splitlines()]
    assert {p["archive_id"] for p in proofs if p["part"] == "message"} == {m.id for m in archived.values()}
    assert sorted(f for p in proofs if p["part"] == "message" for f in p["files"]) == emls
    assert (out / "evidence/tsa/ca.pem").read_bytes() == w.tsa.ca_file.read_bytes()
    checked = verify_py(out)
    assert checked.returncode == 0 and "RESULT: OK" in checked.stdout, checked.stdout + checked.stderr

    # the audit log of the customer, README in both languages, the export audited, the job recorded
    events = [json.loads(line) for line in (out / "audit/audit-log.jsonl").read_text().splitlines()]
    assert events and {e["event"]["customer_id"] for e in events} == {w.customer.id}
    assert {"customer.create", "evidence.renew"} <= {e["event"]["action"] for e in events}
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "HOW TO VERIFY" in readme and "PRÜFEN" in readme and "8 messages in 9 message files" in readme
    ev = AuditEvent.objects.get(action="customer.exit_export", customer_id=w.customer.id)
    assert ev.actor == "cli" and ev.detail["messages"] == 8 and ev.detail["files"] == 9
    job = Job.objects.get(kind="customer.exit_export", customer_id=w.customer.id)
    assert job.state == Job.State.SUCCEEDED and job.result["messages"] == 8

    # a flipped byte is named by sha256sum and by verify.py
    victim = out / two[0]["path"]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    check = subprocess.run(["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 1 and two[0]["path"] in check.stdout
    checked = verify_py(out)
    assert checked.returncode == 1 and f"FAILED  {two[0]['path']}" in checked.stdout

    # a re-run repairs it and keeps everything else
    code, again = cli_json(monkeypatch, capsys, "customer", "export", w.customer.id, "-o", str(out))
    assert code == 0 and again["written"] >= 1 and again["kept"] >= 9
    assert sha(victim) == w.two_folders
    assert verify_py(out).returncode == 0


def test_exit_export_refuses_a_foreign_directory(exit_world, tmp_path, monkeypatch, capsys):
    w = exit_world
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    code, out = cli_json(monkeypatch, capsys, "customer", "export", w.customer.id, "-o", str(busy))
    assert code == 1 and "is not empty" in out["error"]
    code, out = cli_json(monkeypatch, capsys, "customer", "export", w.customer.id, "-o", str(tmp_path / "no/such"))
    assert code == 1 and "no such directory" in out["error"]
    assert (busy / "notes.txt").read_text() == "mine"
    assert not AuditEvent.objects.filter(action="customer.exit_export").exists()


def test_a_directory_being_written_is_refused_to_a_second_run(exit_world, tmp_path, monkeypatch, capsys):
    w = exit_world
    out = tmp_path / "gleichzeitig"
    holder = ExportDir(out)  # a run in progress holds the directory
    holder.put(service.MARKER, json.dumps({"customer": w.customer.id}).encode())
    try:
        code, result = cli_json(monkeypatch, capsys, "customer", "export", w.customer.id, "-o", str(out))
        assert code == 1 and result["error"].endswith("is being written by another export run")
    finally:
        holder.abort()
    code, result = cli_json(monkeypatch, capsys, "customer", "export", w.customer.id, "-o", str(out))
    assert code == 0 and result["messages"] == 8


def test_deleting_the_customer_removes_its_exit_exports_on_the_server(exit_world, django_capture_on_commit_callbacks):
    w = exit_world
    admin = factories.user("admin@ausstieg-loeschen.example", "partner_admin", partner=w.customer.partner)
    with django_capture_on_commit_callbacks(execute=True):
        job = service.start_as(admin, w.customer.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    written = area.job_dir(w.customer.id, job.id)
    assert (written / "MANIFEST.sha256").is_file()
    assert oct(area.customer_dir(w.customer.id).stat().st_mode & 0o777) == oct(0o700)
    with django_capture_on_commit_callbacks(execute=True):
        deletion = customers.request_deletion(w.customer, confirmation=w.customer.name, actor=admin)
    deletion.refresh_from_db()
    assert deletion.state == "succeeded", deletion.error
    assert not area.customer_dir(w.customer.id).exists()


def test_a_damaged_message_is_named_and_the_rest_exported(exit_world, tmp_path, monkeypatch, capsys):
    w = exit_world
    victim = Message.objects.get(customer=w.customer, sha256=w.two_folders)
    entry = next(e for e in runtime.store_for(w.customer.id).objects().values() if e.sha256 == victim.sha256)
    pack = w.home / "vault" / "customers" / w.customer.id / entry.pack
    data = bytearray(pack.read_bytes())
    data[entry.offset + 20] ^= 0x01
    pack.write_bytes(bytes(data))
    runtime.reset()

    out = tmp_path / "beschaedigt"
    code, result = cli_json(monkeypatch, capsys, "customer", "export", w.customer.id, "-o", str(out))
    assert code == 1 and result["ok"] is False and result["damaged"] == 1
    assert result["messages"] == 8 and result["files"] == 7  # the damaged message's two files are missing
    assert any(p.startswith(f"{victim.id}: cannot be read from the vault") for p in result["problems"])
    assert victim.id not in {r["archive_id"] for r in index_rows(out)}
    assert f"{victim.id}: cannot be read from the vault" in (out / "README.txt").read_text(encoding="utf-8")
    checked = verify_py(out)  # its proofs name the files that are missing
    assert checked.returncode == 1 and f"({victim.id}): missing" in checked.stdout
    assert (out / "MANIFEST.sha256").is_file()
