"""What the Dropbox integration tests share (beside ``tests/contract/dropbox_fixtures.py``): the source
added with the CLI (``kustos source add dropbox --settings-file F.json --endpoint URL``), a backup
run and a restore run executed as jobs, and what a snapshot holds per account."""

from __future__ import annotations

import json
from typing import Any

from kustos.archive.models import Source
from kustos.backup.models import BackupSnapshot
from kustos.cli import registry as cli
from kustos.core import runtime
from tests.integration.backup.job_runs import backup_result as backup
from tests.integration.backup.job_runs import do_restore

__all__ = ["TEAM", "add_source", "backup", "do_restore", "downloads", "entry_meta", "member_account",
           "snapshot_files"]

TEAM = "kustos-dropbox.example"


def add_source(control: Any, customer: Any, capsys: Any, tmp_path: Any, team: str = TEAM,
               refresh_token: bool = False) -> Source:
    """``kustos source add dropbox --customer C --settings-file F.json --endpoint URL``; with
    ``refresh_token`` the connection signs in with the team's refresh token instead of the app secret."""
    settings = control.credentials("dropbox", team)
    path = tmp_path / "dropbox.json"
    document = {"app_key": settings["app_key"], "app_secret": settings["app_secret"]}
    if refresh_token:
        document.update(sign_in="refresh_token", app_secret=settings["refresh_token"])
    path.write_text(json.dumps(document))
    capsys.readouterr()
    code = cli.run(["source", "add", "dropbox", "--customer", customer.id, "--settings-file", str(path),
                    "--endpoint", settings["endpoint"], "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    source = Source.objects.get(id=json.loads(out)["id"])
    expected = {"app_key": settings["app_key"], "endpoint": settings["endpoint"]}
    assert source.config == ({**expected, "sign_in": "refresh_token"} if refresh_token else expected)
    return source


def member_account(snap: BackupSnapshot, folder: str) -> str:
    """The snapshot account that holds ``folder``."""
    store = runtime.store_for(snap.plan.customer_id)
    return next(r["account"] for r in store.snapshots.ls(snap.id)
                if store.snapshots.lookup(snap.id, r["account"], folder))


def snapshot_files(snap: BackupSnapshot, account: str) -> dict[str, str]:
    """``/path`` → sha256 of every file of ``account`` in the snapshot."""
    store = runtime.store_for(snap.plan.customer_id)
    return {"/" + p: e.sha256 for p, e in store.snapshots.walk(snap.id, account) if e.kind == "file"}


def entry_meta(snap: BackupSnapshot, account: str, path: str) -> dict[str, Any]:
    store = runtime.store_for(snap.plan.customer_id)
    entry = store.snapshots.lookup(snap.id, account, path)
    assert entry is not None, f"{account}/{path} is not in snapshot {snap.id}"
    return dict(entry.meta)


def downloads(control: Any) -> int:
    return sum(1 for r in control.stats()["requests"] if r["path"] == "/dropbox/2/files/download")
