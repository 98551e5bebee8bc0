"""``verify.py``, put into every exit export: the offline check of the whole export with the
Python 3 standard library and the ``openssl`` command (same checks as the court bundle's)."""

from __future__ import annotations

VERIFY_PY = r'''#!/usr/bin/env python3
"""Offline check of a Kustos customer exit export. Needs Python 3.8+ and the openssl command.

    python3 verify.py [EXPORT_DIR]        (default: the directory of this script)

 1. MANIFEST.sha256: the SHA-256 of every file (like `sha256sum -c MANIFEST.sha256`);
 2. per archived file (evidence/batches/*/proofs.jsonl): every copy of it has the SHA-256 of the
    proof, that hash is in the ledger leaf, and leaf + inclusion path give the batch root
    (RFC 6962: leaf = SHA256(0x00 || leaf_data), node = SHA256(0x01 || left || right));
 3. per batch: openssl ts -verify of token.tsr over root.bin and of each renewal-N.tsr over
    renewal-N.bin = root || H(previous token) (trust anchor evidence/tsa/ca.pem);
 4. audit/audit-log.jsonl: each event's digest recomputes, and audit/chain-links.csv links the
    events to the chain head recorded in audit/chain.json.
Prints one line per failed check naming the file, then a summary; exit status 0 when all pass.
"""
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
FAILED = []


def p(rel):
    return os.path.join(ROOT, *rel.split("/"))


def sha256_of(rel):
    h = hashlib.sha256()
    with open(p(rel), "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fail(what):
    FAILED.append(what)
    print("FAILED  " + what)


def check_manifest():
    n = 0
    with open(p("MANIFEST.sha256"), encoding="utf-8") as fh:
        for line in fh:
            digest, rel = line.rstrip("\n").split("  ", 1)
            n += 1
            try:
                if sha256_of(rel) != digest:
                    fail("%s: SHA-256 differs from MANIFEST.sha256" % rel)
            except OSError:
                fail("%s: missing" % rel)
    print("checked %d files of MANIFEST.sha256" % n)


def fold(leaf_data, path):
    node = hashlib.sha256(b"\x00" + leaf_data.encode()).digest()
    for step in path:
        sib = bytes.fromhex(step["hash"])
        node = hashlib.sha256(b"\x01" + (sib + node if step["side"] == "L" else node + sib)).digest()
    return node


def openssl_verify(data, token, label):
    if shutil.which("openssl") is None:
        fail("%s: the openssl command is not installed" % label)
        return
    cmd = ["openssl", "ts", "-verify", "-data", p(data), "-in", p(token), "-CAfile", p("evidence/tsa/ca.pem")]
    if os.path.exists(p("evidence/tsa/tsa-certs.pem")):
        cmd += ["-untrusted", p("evidence/tsa/tsa-certs.pem")]
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if run.returncode != 0 or b"Verification: OK" not in run.stdout:
        fail("%s: openssl ts -verify failed: %s" % (label, (run.stdout + run.stderr).decode(errors="replace").strip()))


def check_batches():
    base = p("evidence/batches")
    batches = sorted(os.listdir(base)) if os.path.isdir(base) else []
    files = 0
    for b in batches:
        d = "evidence/batches/" + b
        with open(p(d + "/root.bin"), "rb") as fh:
            root = fh.read()
        with open(p(d + "/proofs.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                proof = json.loads(line)
                if proof["leaf_data"].split("|")[2] != proof["sha256"]:
                    fail("%s: the ledger leaf of %s records another hash" % (d, proof["archive_id"]))
                if fold(proof["leaf_data"], proof["path"]) != root:
                    fail("%s: the inclusion path of %s does not lead to the batch root" % (d, proof["archive_id"]))
                for rel in proof["files"]:
                    files += 1
                    try:
                        if sha256_of(rel) != proof["sha256"]:
                            fail("%s (%s): SHA-256 differs from the archived %s" % (rel, proof["archive_id"],
                                                                                   proof["sha256"]))
                    except OSError:
                        fail("%s (%s): missing" % (rel, proof["archive_id"]))
        openssl_verify(d + "/root.bin", d + "/token.tsr", "batch %s token" % b)
        with open(p(d + "/batch.json"), encoding="utf-8") as fh:
            meta = json.load(fh)
        with open(p(d + "/token.tsr"), "rb") as fh:
            previous = fh.read()
        for r in meta.get("renewals", []):
            n = r["index"]
            with open(p("%s/renewal-%d.bin" % (d, n)), "rb") as fh:
                data = fh.read()
            if data != root + hashlib.new(r["algorithm"], previous).digest():
                fail("batch %s renewal %d does not cover the root and the previous token" % (b, n))
            openssl_verify("%s/renewal-%d.bin" % (d, n), "%s/renewal-%d.tsr" % (d, n), "batch %s renewal %d" % (b, n))
            with open(p("%s/renewal-%d.tsr" % (d, n)), "rb") as fh:
                previous = fh.read()
    print("checked %d batches, %d archived files against their proofs" % (len(batches), files))


def canonical(fields):
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def check_audit():
    with open(p("audit/chain.json"), encoding="utf-8") as fh:
        head = json.load(fh)["head"]
    links = {}
    with open(p("audit/chain-links.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            links[int(row["seq"])] = (row["prev_digest"], row["digest"])
    events = 0
    with open(p("audit/audit-log.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            ev = json.loads(line)
            events += 1
            digest = hashlib.sha256(ev["prev_digest"].encode() + canonical(ev["event"])).hexdigest()
            if digest != ev["digest"] or links.get(ev["event"]["seq"]) != (ev["prev_digest"], ev["digest"]):
                fail("audit event %s: digest or chain link does not match" % ev["event"]["seq"])
    seqs = sorted(links)
    for a, b in zip(seqs, seqs[1:]):
        if b != a + 1 or links[b][0] != links[a][1]:
            fail("audit chain: link %s -> %s broken" % (a, b))
    if seqs and (seqs[-1] != head["seq"] or links[seqs[-1]][1] != head["digest"]):
        fail("audit chain: the links do not end at the recorded head")
    print("checked %d audit events" % events)


def main():
    check_manifest()
    check_batches()
    check_audit()
    if FAILED:
        print("RESULT: FAILED (%d problems)" % len(FAILED))
        return 1
    print("RESULT: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
