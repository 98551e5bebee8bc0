"""What the Box integration tests share (beside ``tests/contract/box_fixtures.py``): the source added with
the CLI (``kustos source add box --settings-file F.json --endpoint URL``), a backup run and a restore run
executed as jobs, and what a snapshot holds per account."""

from __future__ import annotations

import json
from typing import Any

from kustos.archive.models import Source
from kustos.backup.models import BackupSnapshot
from kustos.cli import registry as cli
from kustos.core import runtime
from tests.integration.backup.job_runs import backup_result as backup
from tests.integration.backup.job_runs import do_restore

__all__ = ["account_of", "add_with_cli", "backup", "do_restore", "snapshot_files"]


def add_with_cli(control: Any, enterprise: str, customer: Any, capsys: Any, tmp_path: Any) -> Source:
    settings = control.credentials("box", enterprise)
    path = tmp_path / "box.json"
    path.write_text(json.dumps({k: v for k, v in settings.items() if k != "endpoint"}))
    capsys.readouterr()
    code = cli.run(["source", "add", "box", "--customer", str(customer.id), "--settings-file", str(path),
                    "--endpoint", settings["endpoint"], "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    source = Source.objects.get(id=json.loads(out)["id"])
    assert source.kind == "box" and source.config["endpoint"] == settings["endpoint"]
    assert "client_secret" not in source.config
    return source


def snapshot_files(snap: BackupSnapshot, account: str) -> dict[str, str]:
    """``/path`` → sha256 of every file of ``account`` in the snapshot."""
    store = runtime.store_for(snap.plan.customer_id)
    return {"/" + p: e.sha256 for p, e in store.snapshots.walk(snap.id, account) if e.kind == "file"}


def account_of(snap: BackupSnapshot, folder: str) -> str:
    """The snapshot account that holds ``folder``."""
    store = runtime.store_for(snap.plan.customer_id)
    return next(r["account"] for r in store.snapshots.ls(snap.id) if store.snapshots.lookup(snap.id, r["account"], folder))
