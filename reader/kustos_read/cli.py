"""kustos-read VAULT --key FILE list | extract -o DIR [--mbox] | verify

The passphrase of the key file is read from standard input (one line; from a terminal it is
asked for without echo). Errors are one line on standard error and exit code 2; a verify that
finds damage exits 1."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from kustos_read import __version__
from kustos_read.backend import ReadError, open_backend
from kustos_read.keyfile import read_key_file
from kustos_read.ledger import verify_batch
from kustos_read.vault import CHUNK, CustomerVault, Damaged

_UNSAFE = re.compile(r"[^\w.@+=,-]+", re.UNICODE)


def _passphrase() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Passphrase of the key file: ")
    line = sys.stdin.readline()
    if not line:
        raise ReadError("no passphrase on standard input")
    return line.rstrip("\r\n")


def _open(args: argparse.Namespace) -> CustomerVault:
    key = read_key_file(args.key, _passphrase())
    return CustomerVault(open_backend(args.vault), key)


def message_date(raw: bytes, record: dict[str, Any]) -> str:
    """The Date header as ISO 8601 (UTC); else the arrival time of the record; else ""."""
    try:
        value = BytesHeaderParser().parsebytes(raw).get("Date")
        if value:
            dt = parsedate_to_datetime(str(value))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=UTC)
            return dt.astimezone(UTC).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    return str(record.get("received_at") or "")


def messages(vault: CustomerVault) -> Iterator[dict[str, Any]]:
    """One row per message and place (mailbox, folder), from the arrival records; messages
    deleted by retention (no longer in the index) are left out."""
    seen: set[tuple[str, str, str]] = set()
    for record in vault.mailrefs():
        oid = record["vault_id"]
        if oid not in vault.objects:
            continue
        raw = vault.get(oid)
        date = message_date(raw, record)
        for folder in record.get("folders") or [""]:
            place = (oid, record["mailbox"], folder)
            if place in seen:
                continue
            seen.add(place)
            yield {"id": oid, "sha256": record["sha256"], "mailbox": record["mailbox"], "folder": folder,
                   "date": date, "size": len(raw), "kind": record.get("kind", "message"),
                   "archive_id": record.get("message_id", ""), "raw": raw}


def _segment(part: str) -> str:
    part = _UNSAFE.sub("_", part).strip("._") or "_"
    return part[:120]


def folder_dir(out: Path, mailbox: str, folder: str) -> Path:
    path = out / _segment(mailbox)
    for part in [p for p in folder.replace("\\", "/").split("/") if p]:
        path = path / _segment(part)
    return path


def cmd_list(vault: CustomerVault, args: argparse.Namespace) -> int:
    rows = [{k: v for k, v in m.items() if k != "raw"} for m in messages(vault)]
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print(f"{r['date'] or '-':25}  {r['mailbox']}  {r['folder'] or '/'}  {r['sha256']}  {r['size']}")
        print(f"{len(rows)} messages", file=sys.stderr)
    return 0


def _mbox_escape(raw: bytes) -> bytes:
    """mboxrd: every line starting with >*From gets one more '>' (reversible)."""
    lines = raw.split(b"\n")
    out = [b">" + ln if ln.lstrip(b">").startswith(b"From ") else ln for ln in lines]
    body = b"\n".join(out)
    return body if body.endswith(b"\n") else body + b"\n"


def cmd_extract(vault: CustomerVault, args: argparse.Namespace) -> int:
    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    count = total = 0
    mboxes: dict[Path, Any] = {}
    try:
        for m in messages(vault):
            base = folder_dir(out, m["mailbox"], m["folder"])
            if args.mbox:
                target = base.with_name(base.name + ".mbox") if base != out / _segment(m["mailbox"]) \
                    else base / "_.mbox"
                if target not in mboxes:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    mboxes[target] = open(target, "wb")
                stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime())
                mboxes[target].write(f"From MAILER-DAEMON {stamp}\n".encode() + _mbox_escape(m["raw"]) + b"\n")
            else:
                base.mkdir(parents=True, exist_ok=True)
                stem = (m["date"][:19].replace(":", "").replace("-", "") or "undated") + "-" + m["sha256"][:16]
                (base / f"{stem}.eml").write_bytes(m["raw"])
            count += 1
            total += m["size"]
    finally:
        for fh in mboxes.values():
            fh.close()
    result = {"messages": count, "bytes": total, "path": str(out), "format": "mbox" if args.mbox else "eml"}
    print(json.dumps(result) if args.json else f"{count} messages ({total} bytes) written to {out}")
    return 0


def cmd_verify(vault: CustomerVault, args: argparse.Namespace) -> int:
    damaged: list[str] = [f"{n}: {why}" for n, why in vault.index_errors.items()]
    places: dict[str, str] = {}
    try:
        for r in vault.mailrefs():
            for folder in r.get("folders") or [""]:
                places.setdefault(r["vault_id"], f"{r['mailbox']}/{folder}")
    except (Damaged, ReadError) as exc:
        damaged.append(f"arrival records: {exc}")
    checked = 0
    for oid, e in sorted(vault.objects.items()):
        try:
            vault.get(oid)
        except (Damaged, ReadError) as exc:
            where = f" (message in {places[oid]})" if oid in places else f" ({e.kind})"
            damaged.append(f"{exc}{where}")
        checked += 1
    sealed: dict[int, tuple[str, str]] = {}
    batches = []
    for name in vault.backend.list(vault.prefix + "ledger/"):
        try:
            b = verify_batch(vault, name, [p.read_bytes() for p in args.tsa_ca])
        except (Damaged, ReadError) as exc:
            damaged.append(str(exc))
            continue
        batches.append({k: v for k, v in b.items() if k != "rows"})
        for seq, oid, sha, _t in b["rows"]:
            sealed[seq] = (oid, sha)
    unsealed = 0
    for e in vault.entries:
        if e.type == CHUNK or e.seq <= 0:
            continue
        found = sealed.get(e.seq)
        if found is None:
            unsealed += 1
        elif found != (e.id, e.sha256):
            damaged.append(f"ledger entry {e.seq}: index says {e.id}/{e.sha256}, sealed batch says {found[0]}/{found[1]}")
    result = {"ok": not damaged, "objects": checked, "batches": batches, "sealed_entries": len(sealed),
              "unsealed_entries": unsealed, "damaged": damaged}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for b in batches:
            print(f"batch {b['batch']}: {b['entries']} entries, Merkle root and proofs OK, "
                  f"time-stamp {b['gen_time']} ({b['tsa']}) OK"
                  f"{', certificate chain OK' if b['chain_checked'] else ' (certificate chain not checked: --tsa-ca)'}, "
                  f"{b['renewals']} renewals")
        for d in damaged:
            print(f"DAMAGED: {d}")
        print(f"{checked} objects checked, {len(sealed)} ledger entries sealed, {unsealed} not yet sealed: "
              + ("OK" if not damaged else f"{len(damaged)} problems"))
    return 0 if not damaged else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kustos-read", description="Read a Kustos vault without Kustos")
    p.add_argument("--version", action="version", version=f"kustos-read {__version__}")
    p.add_argument("vault", help="vault directory or s3://bucket/prefix")
    p.add_argument("--key", required=True, type=Path, help="customer key file (kustos customer key export)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="messages with mailbox, folder and date")
    x = sub.add_parser("extract", help="write the original messages byte-exact")
    x.add_argument("-o", "--output", required=True, type=Path, help="directory to write into")
    x.add_argument("--mbox", action="store_true", help="one mbox (mboxrd) file per folder instead of .eml files")
    v = sub.add_parser("verify", help="check every object, Merkle proofs and time-stamp tokens offline")
    v.add_argument("--tsa-ca", type=Path, action="append", default=[],
                   help="CA certificate (PEM) of an external TSA the tokens must chain to (repeatable); the "
                        "built-in TSA's CA is read from the vault")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        vault = _open(args)
        return {"list": cmd_list, "extract": cmd_extract, "verify": cmd_verify}[args.command](vault, args)
    except (ReadError, Damaged) as exc:
        print(f"kustos-read: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as exc:
        print(f"kustos-read: error: {exc}", file=sys.stderr)
        return 2
