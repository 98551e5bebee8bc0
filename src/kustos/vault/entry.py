"""One pack index entry (where a blob lives, plus the ledger fields of top-level objects) and the
rule which of two locations of an id to keep; see :mod:`kustos.vault.index`."""

from __future__ import annotations

from typing import Any, NamedTuple


class Entry(NamedTuple):
    id: str
    type: str  # BLOB | CHUNK | TREE
    pack: str  # pack name relative to the customer prefix
    offset: int
    length: int
    size: int  # plaintext bytes (for a tree: the whole object)
    method: str  # compression method (see compress.py)
    kind: str
    year: int | None  # retention-expiry year; None = keep
    seq: int  # ledger sequence; 0 for chunks
    sha256: str  # of the plaintext; "" for chunks
    time: float
    meta: dict[str, Any] | None
    group: str = ""  # "" = the retention group of ``year``; BACKUP for backup objects


def preferred(old: Entry, new: Entry) -> bool:
    """True when ``new`` should replace ``old`` as the known location of an id."""
    if bool(old.group) != bool(new.group):
        return not new.group  # an archive location is never pruned: prefer it
    return not outlives(old.year, new.year)


def outlives(existing: int | None, wanted: int | None) -> bool:
    """True when data kept until ``existing`` is kept at least as long as ``wanted`` needs."""
    return existing is None or (wanted is not None and existing >= wanted)
