"""`kustos vault ...` commands: JSON keys of CLI.md and verify's exit code."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import pytest

from kustos.cli import vault as vault_cli
from kustos.cli.base import Context, common_parser, emit
from kustos.vault.factory import open_vault
from tests.unit.vault.vault_helpers import SMALL, mail, make_settings


def run(settings: Any, *argv: str) -> tuple[int, Any]:
    parser = argparse.ArgumentParser()
    vault_cli.register(parser.add_subparsers(dest="command"), common_parser())
    args = parser.parse_args(["vault", *argv, "--json"])
    ctx = Context(settings, json_output=True)
    ctx.out.file = io.StringIO()
    emit(ctx, args.func(ctx, args))
    return ctx.exit_code, json.loads(ctx.out.file.getvalue())


@pytest.mark.django_db  # `vault recover` also rebuilds archive rows of active customers
def test_stats_verify_gc_recover(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    vault = open_vault(settings, SMALL)
    store = vault.store("c1")
    results = [store.put(mail(i), "mail") for i in range(30)]
    store.commit()
    code, stats = run(settings, "stats")
    assert code == 0 and set(stats) == {"raw_bytes", "stored_bytes", "objects", "packs"}
    assert stats["objects"] == 30 and stats["raw_bytes"] == sum(len(mail(i)) for i in range(30))
    assert run(settings, "stats", "--customer", "c1")[1] == stats
    code, report = run(settings, "verify")
    assert code == 0 and report["ok"] is True and report["checked"] >= 30
    assert set(report) == {"ok", "checked", "damaged", "missing"}
    entry = store.objects()[results[4].id]
    pack = settings.vault_path / "customers" / "c1" / entry.pack
    raw = bytearray(pack.read_bytes())
    raw[entry.offset + 20] ^= 0x40
    pack.write_bytes(bytes(raw))
    code, report = run(settings, "verify", "--customer", "c1")
    assert code == 1 and report["ok"] is False and [d["item"] for d in report["damaged"]] == [results[4].id]
    code, gc = run(settings, "gc", "--grace-hours", "0")
    assert code == 0 and gc["packs_deleted"] == 0
    code, rec = run(settings, "recover")
    assert code == 0 and rec["customers"] == 1 and rec["objects"] == 30 and rec["archive"] == {}


@pytest.mark.django_db  # the customer's storage location decides the vault (requirement 26)
def test_proof_export(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    store = open_vault(settings, SMALL).store("c1")
    res = store.put(mail(1), "mail")
    store.commit()
    code, out = run(settings, "proof", "--customer", "c1", "-o", str(tmp_path / "ev"), res.id)
    assert code == 0 and out["object_id"] == res.id
    assert (tmp_path / "ev" / "token.tsr").exists()
    code, sealed = run(settings, "seal", "--customer", "c1")
    assert code == 0 and sealed["entries"] == 0  # proof already sealed it
