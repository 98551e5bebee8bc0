"""`kustos backup enable|run|snapshots|ls|download` keep their JSON contract; errors are one line."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from kustos.backup.services import plans
from kustos.cli import registry as cli

pytestmark = pytest.mark.django_db


def kustos(capsys, *argv: str) -> tuple[int, object, str]:
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() and "--json" in argv else out), err


def test_backup_cli_contract(source, cloud, capsys, tmp_path):
    code, out, _ = kustos(capsys, "backup", "enable", "--source", source.id, "--scope", "all",
                          "--services", "files,mail", "--json")
    assert code == 0 and set(out) == {"plan"} and out["plan"].startswith("bp_")

    code, run, _ = kustos(capsys, "backup", "run", "--source", source.id, "--json")
    assert code == 0 and set(run) == {"snapshot", "items", "new_bytes", "failed"}
    assert run["items"] == 7 and run["failed"] == [] and run["new_bytes"] > 6_000_000

    code, snaps, _ = kustos(capsys, "backup", "snapshots", "--source", source.id, "--json")
    assert code == 0 and [s["id"] for s in snaps] == [run["snapshot"]]
    assert set(snaps[0]) == {"id", "time", "complete", "items", "bytes"} and snaps[0]["complete"] is True

    code, rows, _ = kustos(capsys, "backup", "ls", run["snapshot"], "--account", "anna", "--path", "Documents",
                           "--json")
    assert code == 0 and rows[0] == {
        "account": "anna", "path": "Documents/notes.txt", "kind": "file", "size": 1200,
        "sha256": hashlib.sha256(b"plain notes\n" * 100).hexdigest(), "modified": "2026-06-01T10:00:00Z"}

    target = tmp_path / "anna.zip"
    code, out, _ = kustos(capsys, "backup", "download", run["snapshot"], "--account", "anna", "-o", str(target),
                          "--json")
    assert code == 0 and out["bytes"] == target.stat().st_size
    with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as zf:
        assert zf.read("anna/Documents/report.pdf") == cloud.accounts["anna"]["d1"].content


def test_backup_cli_errors_are_one_line(source, cloud, capsys):
    code, _, err = kustos(capsys, "backup", "run", "--source", source.id, "--json")
    assert code == 1 and err.strip() == f"kustos: error: backup is not enabled for source {source.id}"
    code, _, err = kustos(capsys, "backup", "enable", "--source", source.id, "--services", "teams", "--json")
    assert code == 1 and "unknown backup service 'teams'" in err and err.count("\n") == 1
    code, _, err = kustos(capsys, "backup", "ls", "20260101T000000000000-deadbeef", "--json")
    assert code == 1 and "no backup snapshot" in err
    kustos(capsys, "backup", "enable", "--source", source.id, "--json")
    cloud.broken_scope = "anna"
    code, _, err = kustos(capsys, "backup", "run", "--source", source.id, "--json")
    assert code == 1 and "the service is unavailable" in err


def test_a_paused_plan_is_kept_but_not_scheduled(source, cloud, capsys):
    code, out, _ = kustos(capsys, "backup", "enable", "--source", source.id, "--paused", "--json")
    assert code == 0 and plans.due() == []
    code, out, _ = kustos(capsys, "backup", "enable", "--source", source.id, "--json")
    assert [p.id for p in plans.due()] == [out["plan"]]
