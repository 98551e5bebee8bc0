"""The offline checkers put into every court bundle (``evidence_bundle.py``): ``verify.py``
(Python 3 standard library + the ``openssl`` command) and ``verify.sh`` (sha256sum + openssl,
then verify.py for what a shell cannot do: Merkle paths and the audit chain)."""

from __future__ import annotations

VERIFY_PY = r'''#!/usr/bin/env python3
"""Offline check of a Kustos court bundle. Needs Python 3.8+ and the openssl command.

    python3 verify.py [BUNDLE_DIR]        (default: the directory of this script)

Checks, printing one line per check and naming every file that fails:
 1. SHA256SUMS: the SHA-256 of every file of the bundle;
 2. per message: SHA-256 of message.eml (and original.*) equals the hash in proof.json, and that
    hash is the one in the ledger leaf;
 3. per message: the leaf hash folded with the inclusion path (RFC 6962: leaf = SHA256(0x00 ||
    leaf_data), node = SHA256(0x01 || left || right)) gives the batch root (root.bin);
 4. per batch: `openssl ts -verify -data root.bin -in token.tsr -CAfile tsa/ca.pem
    -untrusted tsa/tsa-certs.pem`, and each renewal: renewal-N.bin = root || H(previous token),
    stamped by renewal-N.tsr (openssl ts -verify likewise);
 5. audit excerpt: each event's digest = SHA256(previous digest || canonical JSON of the event),
    and the chain links lead from the excerpt to the chain head recorded at export.
Exit status 0 when every check passes, 1 otherwise.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
FAILED = []


def p(*parts):
    return os.path.join(ROOT, *parts)


def read(*parts):
    with open(p(*parts), "rb") as fh:
        return fh.read()


def ok(what):
    print("OK      " + what)


def fail(what):
    FAILED.append(what)
    print("FAILED  " + what)


def check_sums():
    bad = 0
    for line in read("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ", 1)
        try:
            actual = hashlib.sha256(read(*name.split("/"))).hexdigest()
        except OSError:
            fail("SHA256SUMS: %s is missing" % name)
            bad += 1
            continue
        if actual != digest:
            fail("SHA256SUMS: %s does not match its SHA-256" % name)
            bad += 1
    if not bad:
        ok("SHA256SUMS: every file matches")


def fold(leaf_data, path):
    node = hashlib.sha256(b"\x00" + leaf_data.encode()).digest()
    for step in path:
        sib = bytes.fromhex(step["hash"])
        node = hashlib.sha256(b"\x01" + (sib + node if step["side"] == "L" else node + sib)).digest()
    return node


def check_part(mid, part, proof):
    name = "messages/%s/%s" % (mid, proof["file"])
    try:
        data = read(*name.split("/"))
    except OSError:
        fail("%s is missing" % name)
        return
    if hashlib.sha256(data).hexdigest() != proof["sha256"]:
        fail("%s (%s): SHA-256 differs from the archived hash %s" % (name, mid, proof["sha256"]))
    else:
        ok("%s: SHA-256 %s" % (name, proof["sha256"]))
    if proof["leaf_data"].split("|")[2] != proof["sha256"]:
        fail("%s (%s): the ledger leaf records another hash" % (name, mid))
    root = read("batches", proof["batch"], "root.bin")
    if fold(proof["leaf_data"], proof["path"]) != root:
        fail("%s (%s): inclusion path does not lead to the root of batch %s" % (name, mid, proof["batch"]))
    else:
        ok("%s: included in batch %s" % (name, proof["batch"]))


def openssl_verify(data, token, label):
    if shutil.which("openssl") is None:
        fail("%s: the openssl command is not installed" % label)
        return
    cmd = ["openssl", "ts", "-verify", "-data", data, "-in", token, "-CAfile", p("tsa", "ca.pem")]
    if os.path.exists(p("tsa", "tsa-certs.pem")):
        cmd += ["-untrusted", p("tsa", "tsa-certs.pem")]
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if run.returncode == 0 and b"Verification: OK" in run.stdout:
        ok("%s: openssl ts -verify" % label)
    else:
        fail("%s: openssl ts -verify failed: %s" % (label, (run.stdout + run.stderr).decode(errors="replace").strip()))


def check_batch(batch):
    meta = json.loads(read("batches", batch, "batch.json"))
    openssl_verify(p("batches", batch, "root.bin"), p("batches", batch, "token.tsr"), "batch %s token" % batch)
    root = read("batches", batch, "root.bin")
    previous = read("batches", batch, "token.tsr")
    for r in meta.get("renewals", []):
        n = r["index"]
        data = read("batches", batch, "renewal-%d.bin" % n)
        if data != root + hashlib.new(r["algorithm"], previous).digest():
            fail("batch %s renewal %d does not cover root and previous token" % (batch, n))
        openssl_verify(p("batches", batch, "renewal-%d.bin" % n), p("batches", batch, "renewal-%d.tsr" % n),
                       "batch %s renewal %d (%s)" % (batch, n, r["algorithm"]))
        previous = read("batches", batch, "renewal-%d.tsr" % n)


def canonical(fields):
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def check_audit():
    chain = json.loads(read("audit", "chain.json"))
    links = {row[0]: (row[1], row[2]) for row in chain["links"]}
    bad = 0
    for line in read("audit", "excerpt.jsonl").decode().splitlines():
        ev = json.loads(line)
        digest = hashlib.sha256(ev["prev_digest"].encode() + canonical(ev["event"])).hexdigest()
        if digest != ev["digest"] or links.get(ev["event"]["seq"]) != (ev["prev_digest"], ev["digest"]):
            fail("audit event %s: digest or chain link does not match" % ev["event"]["seq"])
            bad += 1
    seqs = sorted(links)
    for a, b in zip(seqs, seqs[1:]):
        if b != a + 1 or links[b][0] != links[a][1]:
            fail("audit chain: link %s -> %s broken" % (a, b))
            bad += 1
    if seqs and (seqs[-1] != chain["head"]["seq"] or links[seqs[-1]][1] != chain["head"]["digest"]):
        fail("audit chain: the links do not end at the recorded head")
        bad += 1
    if not bad:
        ok("audit excerpt: every event recomputes and links to head %s (%s)" % (
            chain["head"]["seq"], chain["head"]["digest"]))


def main():
    manifest = json.loads(read("manifest.json"))
    check_sums()
    for m in manifest["messages"]:
        for part in m["parts"]:
            check_part(m["archive_id"], part["file"], part)
    for batch in manifest["batches"]:
        check_batch(batch)
    check_audit()
    print()
    if FAILED:
        print("RESULT: FAILED (%d problems)" % len(FAILED))
        return 1
    print("RESULT: OK (%d messages, %d batches)" % (len(manifest["messages"]), len(manifest["batches"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

VERIFY_SH = r'''#!/bin/sh
# Offline check of a Kustos court bundle with sha256sum and openssl; then verify.py for the
# Merkle inclusion paths and the audit chain (see report.txt). Exit 1 on any failure.
cd "$(dirname "$0")" || exit 1
status=0
sha256sum --quiet -c SHA256SUMS || status=1
untrusted=""
[ -f tsa/tsa-certs.pem ] && untrusted="-untrusted tsa/tsa-certs.pem"
for dir in batches/*/; do
  b=${dir%/}
  # shellcheck disable=SC2086
  openssl ts -verify -data "$b/root.bin" -in "$b/token.tsr" -CAfile tsa/ca.pem $untrusted >/dev/null \
    && echo "OK      $b token" || { echo "FAILED  $b token"; status=1; }
  for t in "$b"/renewal-*.tsr; do
    [ -f "$t" ] || continue
    # shellcheck disable=SC2086
    openssl ts -verify -data "${t%.tsr}.bin" -in "$t" -CAfile tsa/ca.pem $untrusted >/dev/null \
      && echo "OK      $t" || { echo "FAILED  $t"; status=1; }
  done
done
python3 verify.py . || status=1
exit $status
'''
