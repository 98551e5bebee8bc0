"""kustos-read on an S3 vault (moto server) whose mail is compressed with trained zstd
dictionaries: every message comes out byte-exact and the vault verifies."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from kustos.archive.pipeline.contract import Incoming
from kustos.core import runtime
from tests import factories
from tests.integration.compliance.evidence_world import ingest, tsa  # noqa: F401 - fixture
from tests.integration.compliance.openssl_tsa import OpensslTSA
from tests.integration.reader.test_kustos_read import (
    BOXES,
    DEPENDENCIES,
    FOLDERS,
    PASSPHRASE,
    S3_DEPENDENCIES,
    export_key,
    isolated_site,
    mail,
    reader_argv,
)

COUNT = 48


@pytest.fixture
def s3_archive(db, tmp_path: Path, settings, tsa: OpensslTSA, s3_server, s3_bucket):  # noqa: F811 - fixture
    home = tmp_path / "home"
    home.mkdir()
    extra = {**settings.KUSTOS.extra, "vault_train_at": "24", "vault_dict_size": "8192"}
    settings.KUSTOS = replace(settings.KUSTOS, home=home, tsa_url=tsa.url, tsa_ca_file=str(tsa.ca_file),
                              vault_url=f"s3://{s3_bucket}/vault", s3_endpoint_url=s3_server["endpoint_url"],
                              s3_access_key=s3_server["access_key"], s3_secret_key=s3_server["secret_key"],
                              s3_region=s3_server["region"], extra=extra)
    runtime.reset()
    customer = factories.customer(factories.partner("S3 Leser Partner"), "S3 Leser Kunde")
    originals = {}
    for start in (0, COUNT // 2):  # two commits: the dictionary trained in the first compresses the second
        items = []
        for i in range(start, start + COUNT // 2):
            box, folder = BOXES[i % 2], FOLDERS[i % 3]
            raw = mail(i % 28, box) + f"\nNachtrag {i}\n".encode()
            originals[hashlib.sha256(raw).hexdigest()] = (box, folder, raw)
            items.append(Incoming(raw=raw, mailbox=box, folders=[folder], source="test"))
        ingest(customer, items)
    runtime.store_for(customer.id).ledger.seal(force=True)
    yield customer, f"s3://{s3_bucket}/vault", originals, s3_server
    runtime.reset()


def test_kustos_read_restores_an_s3_vault_with_dictionaries(s3_archive, tmp_path, monkeypatch, capsys):
    customer, url, originals, server = s3_archive
    methods = {e.method for e in runtime.store_for(customer.id).objects().values() if e.kind == "mail"}
    assert any(m.startswith("d") for m in methods), methods  # dictionary-compressed mail is in the vault
    key = tmp_path / "kunde.key"
    assert export_key(monkeypatch, capsys, customer.id, key)[0] == 0
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "AWS_ENDPOINT_URL": server["endpoint_url"],
           "AWS_ACCESS_KEY_ID": server["access_key"], "AWS_SECRET_ACCESS_KEY": server["secret_key"],
           "AWS_DEFAULT_REGION": server["region"]}

    def read(*args: str) -> subprocess.CompletedProcess:
        site = isolated_site(tmp_path / "reader-site", DEPENDENCIES + S3_DEPENDENCIES)
        return subprocess.run([*reader_argv(site), url, "--key", str(key), *args], input=PASSPHRASE + "\n",
                              capture_output=True, text=True, env=env, timeout=300)

    out = tmp_path / "eml"
    done = read("--json", "extract", "-o", str(out))
    assert done.returncode == 0, done.stderr
    got = {hashlib.sha256(f.read_bytes()).hexdigest(): f for f in out.rglob("*.eml")}
    assert set(got) == set(originals)
    for sha, f in got.items():
        box, folder, _raw = originals[sha]
        assert f.parent == out.joinpath(box, *folder.split("/"))
    ok = read("--json", "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] and report["unsealed_entries"] == 0 and report["sealed_entries"] >= COUNT
