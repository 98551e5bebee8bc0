"""The standalone reader `kustos-read` restores and verifies a vault Kustos wrote (issue 19.3).

A customer's mail (folders, attachments, one chunked message) is archived and sealed with an
RFC 3161 TSA; `kustos customer key export` writes the key file; `kustos-read` then runs as a
separate process that sees only the standard library, kustos-read and its declared dependencies."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import mailbox
import os
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from kustos.archive.pipeline.contract import Incoming
from kustos.audit.models import AuditEvent
from kustos.cli import registry as cli
from kustos.core import runtime
from tests import factories
from tests.integration.compliance.evidence_world import ingest, tsa  # noqa: F401 - fixture
from tests.integration.compliance.openssl_tsa import OpensslTSA, make_pki

PASSPHRASE = "korrekt Pferd Batterie Heftklammer"
BOXES = ("anna@leser.example", "bernd@leser.example")
FOLDERS = ("INBOX", "Sent", "Projekte/2024")
BIN = Path(sys.executable).parent
#: What kustos-read may import: its package and its declared dependencies (and theirs), nothing else.
DEPENDENCIES = ("kustos_read", "cryptography", "cffi", "_cffi_backend", "pycparser", "zstandard", "blake3",
                "asn1crypto", "typing_extensions")
S3_DEPENDENCIES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")


def isolated_site(directory: Path, names: tuple[str, ...] = DEPENDENCIES) -> Path:
    """A directory holding only ``names`` (symlinks to the installed packages): run with
    ``python -I -S`` and it as the only path beyond the standard library, kustos-read cannot
    import kustos, Django or anything else of the installation."""
    if not directory.exists():
        directory.mkdir(parents=True)
        for name in names:
            spec = importlib.util.find_spec(name)
            assert spec is not None and spec.origin, f"{name} is not installed"
            origin = Path(spec.origin)
            target = origin.parent if spec.submodule_search_locations else origin
            (directory / target.name).symlink_to(target)
    return directory


def reader_argv(site: Path) -> list[str]:
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); "
            "from kustos_read.cli import main; sys.exit(main(sys.argv[1:]))")
    return [sys.executable, "-I", "-S", "-c", code]


def mail(i: int, box: str, big: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"absender{i}@partner.example"
    msg["To"] = box
    msg["Subject"] = f"Vorgang {i}"
    msg["Date"] = format_datetime(datetime(2024, 5, 1 + i, 8, 30, tzinfo=UTC))
    msg["Message-ID"] = f"<leser{i}@partner.example>"
    msg.set_content(f"Nachricht {i}\nFrom the start of a line (mbox must escape it)\n")
    if i % 2 == 0:
        msg.add_attachment(os.urandom(3000), maintype="application", subtype="pdf", filename=f"beleg{i}.pdf")
    if big:
        msg.add_attachment(os.urandom(4_500_000), maintype="application", subtype="octet-stream",
                           filename="gross.bin")
    return msg.as_bytes()


@pytest.fixture
def archive(db, tmp_path: Path, settings, tsa: OpensslTSA):  # noqa: F811 - fixture
    home = tmp_path / "home"
    home.mkdir()
    settings.KUSTOS = replace(settings.KUSTOS, home=home, tsa_url=tsa.url, tsa_ca_file=str(tsa.ca_file))
    runtime.reset()
    customer = factories.customer(factories.partner("Leser Partner"), "Leser Kunde")
    items, originals = [], {}
    for i in range(7):
        box, folder = BOXES[i % 2], FOLDERS[i % 3]
        raw = mail(i, box, big=(i == 5))
        originals[hashlib.sha256(raw).hexdigest()] = (box, folder, raw)
        items.append(Incoming(raw=raw, mailbox=box, folders=[folder], source="test"))
    ingest(customer, items)
    runtime.store_for(customer.id).ledger.seal(force=True)
    yield customer, home / "vault", originals
    runtime.reset()


def export_key(monkeypatch, capsys, customer_id: str, out: Path, passphrase: str = PASSPHRASE) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(passphrase + "\n"))
    capsys.readouterr()
    code = cli.run(["customer", "key", "export", customer_id, "-o", str(out), "--json"])
    out_text, err = capsys.readouterr()
    return code, out_text or err


def read(vault: Path, key: Path, *args: str, passphrase: str = PASSPHRASE) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    site = isolated_site(Path(str(vault)).parent.parent / "reader-site")
    return subprocess.run([*reader_argv(site), str(vault), "--key", str(key), *args],
                          input=passphrase + "\n", capture_output=True, text=True, env=env, timeout=300)


def test_key_export_is_audited_private_and_refuses_short_passphrases(archive, tmp_path, monkeypatch, capsys):
    customer, _vault, _ = archive
    key = tmp_path / "kunde.key"
    code, out = export_key(monkeypatch, capsys, customer.id, key)
    assert code == 0, out
    assert json.loads(out)["path"] == str(key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    doc = json.loads(key.read_text())
    assert doc["format"] == "kustos-customer-key" and doc["kdf"]["name"] == "scrypt"
    assert doc["key_id"] == runtime.store_for(customer.id).key.key_id
    assert PASSPHRASE not in key.read_text()
    event = AuditEvent.objects.filter(action="customer.key_export", customer_id=customer.id).get()
    assert event.actor == "cli" and PASSPHRASE not in json.dumps(event.detail)

    code, err = export_key(monkeypatch, capsys, customer.id, tmp_path / "weak.key", passphrase="kurz")
    assert code != 0 and "at least 12 characters" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "weak.key").exists()


def test_kustos_read_lists_extracts_and_verifies_without_kustos(archive, tsa, tmp_path, monkeypatch, capsys):  # noqa: F811
    customer, vault, originals = archive
    key = tmp_path / "kunde.key"
    assert export_key(monkeypatch, capsys, customer.id, key)[0] == 0

    listed = read(vault, key, "--json", "list")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == len(originals) == 7
    for row in rows:
        box, folder, raw = originals[row["sha256"]]
        assert (row["mailbox"], row["folder"]) == (box, folder)
        assert row["date"].startswith("2024-05-0")
        assert row["size"] == len(raw)
    # the console script works the same way
    script = subprocess.run([str(BIN / "kustos-read"), str(vault), "--key", str(key), "list"],
                            input=PASSPHRASE + "\n", capture_output=True, text=True, timeout=300)
    assert script.returncode == 0 and "Projekte/2024" in script.stdout

    out = tmp_path / "eml"
    done = read(vault, key, "--json", "extract", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["messages"] == 7
    files = sorted(out.rglob("*.eml"))
    assert len(files) == 7
    for f in files:
        sha = hashlib.sha256(f.read_bytes()).hexdigest()
        box, folder, _raw = originals[sha]
        assert f.parent == out.joinpath(box, *folder.split("/"))

    mb = tmp_path / "mbox"
    done = read(vault, key, "extract", "--mbox", "-o", str(mb))
    assert done.returncode == 0, done.stderr
    found = {}
    for path in mb.rglob("*.mbox"):
        for m in mailbox.mbox(str(path)):
            found[m["Message-ID"]] = path
    assert len(found) == 7
    assert found["<leser2@partner.example>"] == mb / BOXES[0] / "Projekte" / "2024.mbox"

    ok = read(vault, key, "--json", "verify", "--tsa-ca", str(tsa.ca_file))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] and report["damaged"] == [] and report["unsealed_entries"] == 0
    assert report["sealed_entries"] >= 7 and report["batches"][0]["gen_time"]
    assert report["batches"][0]["chain_checked"] and report["batches"][0]["tsa"] == f"RFC 3161 TSA {tsa.url}"

    other = make_pki(tmp_path / "other-tsa", name="Other")  # tokens do not chain to another CA
    wrong = read(vault, key, "verify", "--tsa-ca", str(other.ca_file))
    assert wrong.returncode == 1 and "is not issued by the given TSA CA" in wrong.stdout


def test_kustos_read_names_a_flipped_byte_and_a_wrong_passphrase(archive, tmp_path, monkeypatch, capsys):
    customer, vault, originals = archive
    key = tmp_path / "kunde.key"
    assert export_key(monkeypatch, capsys, customer.id, key)[0] == 0
    sha = next(s for s, (_b, folder, _r) in originals.items() if folder == "Sent")
    entry = next(e for e in runtime.store_for(customer.id).objects().values() if e.sha256 == sha)
    pack = vault / "customers" / customer.id / entry.pack
    raw = bytearray(pack.read_bytes())
    raw[entry.offset + 20] ^= 0x40
    pack.write_bytes(bytes(raw))

    bad = read(vault, key, "verify")
    assert bad.returncode == 1
    damaged = [ln for ln in bad.stdout.splitlines() if ln.startswith("DAMAGED")]
    assert len(damaged) == 1
    assert entry.id in damaged[0] and entry.pack in damaged[0] and "/Sent" in damaged[0]

    wrong = read(vault, key, "list", passphrase="falsche Passphrase 123")
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr


def test_kustos_read_checks_the_built_in_tsa_chain_from_the_vault(db, tmp_path, settings, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    settings.KUSTOS = replace(settings.KUSTOS, home=home, tsa_url="")
    runtime.reset()
    try:
        customer = factories.customer(factories.partner("Lokal Partner"), "Lokal Kunde")
        ingest(customer, [Incoming(raw=mail(i, BOXES[0]), mailbox=BOXES[0], folders=["INBOX"], source="test")
                          for i in range(2)])
        runtime.store_for(customer.id).ledger.seal(force=True)
        key = tmp_path / "kunde.key"
        assert export_key(monkeypatch, capsys, customer.id, key)[0] == 0
        ok = read(home / "vault", key, "--json", "verify")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        batch = json.loads(ok.stdout)["batches"][0]
        assert batch["tsa"] == "Kustos self-signed local TSA" and batch["chain_checked"]

        ca = home / "vault" / "system" / "tsa" / "ca.pem"  # another CA in the vault: the tokens no longer chain
        ca.write_bytes((make_pki(tmp_path / "other", name="Other").ca_file).read_bytes())
        bad = read(home / "vault", key, "verify")
        assert bad.returncode == 1 and "is not issued by the given TSA CA" in bad.stdout
    finally:
        runtime.reset()
