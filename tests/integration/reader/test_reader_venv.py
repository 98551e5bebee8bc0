"""kustos-read in a virtual environment of its own (issue 19.3): `pip install reader/` into a fresh
venv (nothing of Kustos, no Django), then that venv's `kustos-read` lists, extracts and verifies a
test archive (a local directory and an S3 bucket on the moto server): every message comes out
byte-exact in its mailbox/folder and verifies; a flipped byte is named."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kustos.core import runtime
from tests.integration.reader.test_kustos_read import PASSPHRASE, archive, export_key, tsa  # noqa: F401 - fixtures
from tests.integration.reader.test_kustos_read_s3 import s3_archive  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

READER = Path(__file__).resolve().parents[3] / "reader"
#: pip's words for "no package index (or cache) could be reached"
OFFLINE = ("No matching distribution found", "Could not find a version that satisfies", "Failed to establish",
           "Network is unreachable", "Temporary failure in name resolution", "ConnectionError")


def _env(**extra: str) -> dict[str, str]:
    """A clean environment: no PYTHONPATH, no virtualenv of the test run; pip's own settings kept."""
    env = {k: v for k, v in os.environ.items() if k.startswith(("PIP_", "http_", "https_", "HTTP_", "HTTPS_", "NO_"))}
    env.update(PATH=os.environ.get("PATH", ""), HOME=os.environ.get("HOME", "/tmp"), **extra)
    return env


@pytest.fixture(scope="module")
def reader_venv(tmp_path_factory) -> Path:
    """A venv holding only kustos-read[s3] and its dependencies, installed from a copy of reader/."""
    base = tmp_path_factory.mktemp("reader-venv")
    src = base / "src"
    shutil.copytree(READER, src, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build", "dist"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, env=_env())
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", f"{src}[s3]"], capture_output=True,
                         text=True, timeout=900, env=_env(), cwd=base)
    if pip.returncode != 0:
        if any(word in pip.stdout + pip.stderr for word in OFFLINE):
            pytest.skip("pip cannot reach a package index (or its cache) to install kustos-read's dependencies: "
                        + (pip.stderr.strip().splitlines() or ["no output"])[-1])
        pytest.fail(f"pip install of reader/ failed: {pip.stderr[-2000:]}")
    return venv


def test_the_venv_holds_kustos_read_and_nothing_of_kustos(reader_venv, tmp_path):
    python = str(reader_venv / "bin" / "python")
    for module in ("django", "kustos", "ninja", "huey"):
        probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True, env=_env(),
                               cwd=tmp_path, timeout=60)
        assert probe.returncode != 0 and f"No module named '{module}'" in probe.stderr, module
    ok = subprocess.run([python, "-c", "import kustos_read, cryptography, zstandard, boto3"], capture_output=True,
                        text=True, env=_env(), cwd=tmp_path, timeout=60)
    assert ok.returncode == 0, ok.stderr
    version = subprocess.run([str(reader_venv / "bin" / "kustos-read"), "--version"], capture_output=True, text=True,
                             env=_env(), cwd=tmp_path, timeout=60)
    assert version.returncode == 0 and version.stdout.strip()


def _read(venv: Path, vault: str, key: Path, *args: str, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "kustos-read"), vault, "--key", str(key), *args],
                          input=PASSPHRASE + "\n", capture_output=True, text=True, env=env or _env(), cwd=cwd,
                          timeout=300)


def _check_extract(out: Path, originals: dict) -> None:
    got = {hashlib.sha256(f.read_bytes()).hexdigest(): f for f in out.rglob("*.eml")}
    assert set(got) == set(originals) and len(got) == len(list(out.rglob("*.eml")))
    for sha, f in got.items():
        box, folder, raw = originals[sha]
        assert f.read_bytes() == raw
        assert f.parent == out.joinpath(box, *folder.split("/"))


def test_venv_kustos_read_on_a_local_vault(reader_venv, archive, tsa, tmp_path, monkeypatch, capsys):  # noqa: F811
    customer, vault, originals = archive
    key = tmp_path / "kunde.key"
    assert export_key(monkeypatch, capsys, customer.id, key)[0] == 0

    listed = _read(reader_venv, str(vault), key, "--json", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {r["sha256"] for r in rows} == set(originals) and len(rows) == len(originals)
    for r in rows:
        assert (r["mailbox"], r["folder"]) == originals[r["sha256"]][:2]

    out = tmp_path / "eml"
    done = _read(reader_venv, str(vault), key, "--json", "extract", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0 and json.loads(done.stdout)["messages"] == len(originals), done.stderr
    _check_extract(out, originals)
    ok = _read(reader_venv, str(vault), key, "--json", "verify", "--tsa-ca", str(tsa.ca_file), cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] and report["damaged"] == [] and report["sealed_entries"] >= len(originals)

    # a flipped byte in a pack is named: the object, its pack, its mailbox and folder
    sha = next(s for s, (_b, folder, _r) in originals.items() if folder == "Projekte/2024")
    entry = next(e for e in runtime.store_for(customer.id).objects().values() if e.sha256 == sha)
    pack = vault / "customers" / customer.id / entry.pack
    data = bytearray(pack.read_bytes())
    data[entry.offset + 20] ^= 0x01
    pack.write_bytes(bytes(data))
    bad = _read(reader_venv, str(vault), key, "verify", cwd=tmp_path)
    assert bad.returncode == 1
    damaged = [ln for ln in bad.stdout.splitlines() if ln.startswith("DAMAGED")]
    assert len(damaged) == 1 and entry.id in damaged[0] and entry.pack in damaged[0]
    assert "/Projekte/2024" in damaged[0]


def test_venv_kustos_read_on_an_s3_vault(reader_venv, s3_archive, tmp_path, monkeypatch, capsys):  # noqa: F811
    customer, url, originals, server = s3_archive
    key = tmp_path / "kunde.key"
    assert export_key(monkeypatch, capsys, customer.id, key)[0] == 0
    env = _env(AWS_ENDPOINT_URL=server["endpoint_url"], AWS_ACCESS_KEY_ID=server["access_key"],
               AWS_SECRET_ACCESS_KEY=server["secret_key"], AWS_DEFAULT_REGION=server["region"])
    out = tmp_path / "eml"
    done = _read(reader_venv, url, key, "--json", "extract", "-o", str(out), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    _check_extract(out, originals)
    ok = _read(reader_venv, url, key, "--json", "verify", env=env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["ok"] is True
