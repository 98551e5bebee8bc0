"""A 2 GiB OneDrive file through the whole backup path: fakecloud serves it generated on demand,
`kustos backup run` (a real process) backs it up with a peak RSS that does not grow with the file, and
`kustos backup ls` and `kustos backup download` give back fakecloud's sha256."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from tests.integration.backup.test_backup_crash import TENANT, USER, kustos, setup_source

GIB = 1 << 30
RSS_BOUND_MB = 400  # far below the file size; the vault streams FastCDC chunks into bounded packs


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


# Linux carries a process's RSS high-water mark across exec, and a child starts from its parent's: a
# `kustos` child of this (large, long-lived) pytest process would report at least pytest's peak. A small
# interpreter started here spawns the command instead and reports that child's own ru_maxrss.
_SPAWN = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[3:], stdout=open(sys.argv[1], "w"), stderr=open(sys.argv[2], "w"))
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), usage.ru_maxrss]))
"""


def measured(env: dict, tmp_path: Path, *args: str) -> tuple[int, str, str, float]:
    """Run `kustos ARGS` and return (exit code, stdout, stderr, peak RSS in MB of that very process)."""
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    spawner = subprocess.run([sys.executable, "-I", "-c", _SPAWN, str(out_path), str(err_path),
                              sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, text=True,
                             check=True)
    code, maxrss_kib = json.loads(spawner.stdout)
    return code, out_path.read_text(), err_path.read_text(), maxrss_kib / 1024


def zip_member_sha256(path: Path, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with zipfile.ZipFile(path) as zf, zf.open(name) as fh:
        for block in iter(lambda: fh.read(4 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def back_up_large_file(fakecloud: FakeCloudProcess, tmp_path: Path, env: dict, size: int) -> dict:
    control = fakecloud.control
    control.call("reset")
    control.seed("ms", TENANT, USER, "file", "/Large/huge.bin", b"", {"size": size, "seed": "large-file"})
    control.seed("ms", TENANT, USER, "file", "/Large/small.txt", b"beside the large file\n")
    want = {row["path"]: row for row in control.items("ms", TENANT, "file", USER)}
    assert want["/Large/huge.bin"]["size"] == size
    source = setup_source(env, control)

    code, out, err, rss_mb = measured(env, tmp_path, "backup", "run", "--source", source, "--json")
    assert code == 0, err
    run = json.loads(out)
    assert run["failed"] == []
    snaps = json.loads(kustos(env, "backup", "snapshots", "--source", source, "--json").stdout)
    assert [(s["id"], s["complete"]) for s in snaps] == [(run["snapshot"], True)]
    print(f"backup run of {size >> 20} MiB: peak RSS {rss_mb:.0f} MB")
    assert rss_mb < RSS_BOUND_MB, f"`kustos backup run` peaked at {rss_mb:.0f} MB for a {size >> 20} MiB file"

    (account,) = [row["account"] for row in json.loads(kustos(env, "backup", "ls", run["snapshot"], "--json").stdout)]
    listed = json.loads(kustos(env, "backup", "ls", run["snapshot"], "--account", account, "--path", "Large",
                               "--json").stdout)
    (huge,) = [row for row in listed if row["path"].endswith("huge.bin")]
    assert huge["size"] == size and huge["sha256"] == want["/Large/huge.bin"]["sha256"]

    target = tmp_path / "large.zip"
    code, _, err, rss_mb = measured(env, tmp_path, "backup", "download", run["snapshot"], "-o", str(target), "--json")
    assert code == 0, err
    print(f"download of {size >> 20} MiB: peak RSS {rss_mb:.0f} MB")
    assert rss_mb < RSS_BOUND_MB, f"`kustos backup download` peaked at {rss_mb:.0f} MB"
    with zipfile.ZipFile(target) as zf:
        names = [n for n in zf.namelist() if n.endswith("Large/huge.bin")]
    assert len(names) == 1
    assert zip_member_sha256(target, names[0]) == (want["/Large/huge.bin"]["sha256"], size)
    target.unlink()
    return run


@pytest.mark.slow
def test_two_gib_file_backs_up_with_flat_memory(fakecloud, tmp_path, cli_env):
    run = back_up_large_file(fakecloud, tmp_path, cli_env, 2 * GIB)
    assert run["new_bytes"] >= 2 * GIB * 0.99  # random content: nothing deduplicated away


@pytest.mark.slow
@pytest.mark.s3
def test_two_gib_file_backs_up_into_an_s3_vault(fakecloud, tmp_path, cli_env, s3_server, s3_bucket):
    env = {**cli_env, "KUSTOS_VAULT_URL": f"s3://{s3_bucket}/vault", "KUSTOS_S3_ENDPOINT_URL": s3_server["endpoint_url"],
           "KUSTOS_S3_ACCESS_KEY": s3_server["access_key"], "KUSTOS_S3_SECRET_KEY": s3_server["secret_key"],
           "KUSTOS_S3_REGION": s3_server["region"]}
    back_up_large_file(fakecloud, tmp_path, env, 2 * GIB)
