"""COMPLIANCE.md requirement 19: message hashes are sealed in Merkle batches and every batch root
carries an RFC 3161 time-stamp from the CONFIGURED TSA (here a local `openssl ts -reply` TSA served
over HTTP); `openssl ts -verify` accepts each token against the TSA's CA."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.vault.ledger import merkle
from kustos.vault.ledger.evidence import leaf_bytes
from kustos.vault.ledger.renew import token_certificate
from tests.integration.compliance.evidence_world import ingest, mail
from tests.integration.compliance.evidence_world import tsa as tsa  # noqa: F401 - fixture
from tests.integration.compliance.evidence_world import world as world  # noqa: F401 - fixture
from tests.integration.compliance.openssl_tsa import ts_verify

pytestmark = pytest.mark.django_db


def test_req19_every_message_leaf_is_in_a_sealed_batch_stamped_by_the_configured_tsa(world, tmp_path):
    world.seal()
    ingest(world.customer, [Incoming(raw=mail(10 + i), mailbox="x@beweis.example", folders=["INBOX"],
                                     source="test") for i in range(3)])
    world.seal()
    messages = list(Message.objects.filter(customer=world.customer).order_by("seq"))
    assert len(messages) == 7
    store = world.store()
    batches = store.ledger.batch_names()
    assert len(batches) >= 2 and store.ledger.unsealed == []
    tsa_der = x509.load_pem_x509_certificate(world.tsa.tsa_file.read_bytes()).public_bytes(
        serialization.Encoding.DER)
    requests_before = world.tsa.requests
    assert requests_before >= 2  # every seal asked the configured TSA
    verified_roots = set()
    for m in messages:
        for vid in filter(None, (m.vault_id, m.original_vault_id)):
            ev = store.ledger.proof(vid)
            assert ev.batch in batches and ev.check()
            if vid == m.vault_id:
                assert ev.sha256 == m.sha256
            # the leaf is in the batch: recompute it and fold the path to the root
            leaf = merkle.leaf_hash(leaf_bytes(ev.seq, vid, ev.sha256, ev.time))
            assert merkle.root_from_path(leaf, ev.path) == ev.root
            assert "RFC 3161 TSA " + world.tsa.url == ev.tsa_label
            cert = token_certificate(ev.token)
            assert cert is not None and cert.public_bytes(serialization.Encoding.DER) == tsa_der
            if ev.root in verified_roots:
                continue
            out = tmp_path / f"ev-{len(verified_roots)}"
            ev.export(out)
            run = ts_verify(out / "root.bin", out / "token.tsr", world.tsa.ca_file)
            assert run.returncode == 0 and "Verification: OK" in run.stdout, run.stderr
            (out / "root.bin").write_bytes(hashlib.sha256(b"other").digest())
            assert ts_verify(out / "root.bin", out / "token.tsr", world.tsa.ca_file).returncode != 0
            verified_roots.add(ev.root)
    assert len(verified_roots) == len(batches)
    assert world.tsa.requests == requests_before  # proofs of sealed entries need no new stamp
