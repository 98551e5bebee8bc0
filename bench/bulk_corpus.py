"""The shared bulk mail sets every benchmark reads (usrp-users + spamassassin, ~15.9k messages)."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETS = ["email/bulk/usrp-users-public-inbox/usrp-users.tar.xz",
        "email/bulk/spamassassin-publiccorpus/spamassassin-publiccorpus.tar.xz"]


def corpus_root() -> Path:
    return Path(os.environ.get("KUSTOS_CORPUS", REPO.parent / "shared" / "corpus"))


def available() -> bool:
    return (corpus_root() / SETS[0]).exists()


def messages(limit: int | None = None) -> Iterator[tuple[str, str, bytes]]:
    """(set name, member name, raw bytes) of the first ``limit`` messages, read from the tarballs."""
    count = 0
    for rel in SETS:
        with tarfile.open(corpus_root() / rel, "r:xz") as tf:
            for member in tf:
                if not member.isfile():
                    continue
                if limit is not None and count >= limit:
                    return
                fh = tf.extractfile(member)
                assert fh is not None
                yield Path(rel).parts[2], member.name, fh.read()
                count += 1
