"""A ZIP of a snapshot subtree, streamed (never built in memory): files in their tree, mail as .eml,
events .ics and contacts .vcf (rendered from the stored Graph JSON by ``backup/formats.py``), tasks,
messages, list items and pages as .json."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import Http404

from kustos.audit import services as audit
from kustos.backup.formats import COMPANIONS, RENDERERS
from kustos.backup.models import BackupSnapshot
from kustos.core import runtime
from kustos.vault.snaptree import split_path

EXTENSIONS = {"mail": ".eml", "message": ".eml", "event": ".ics", "contact": ".vcf", "task": ".json",
              "channelmessage": ".json", "chatmessage": ".json", "listitem": ".json", "page": ".json"}
PIECE = 1024 * 1024


class _Pipe:
    """A write-only, unseekable sink for ZipFile; ``take()`` hands over what was written so far."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts = []
        return out


_UNSAFE = re.compile(r'[<>:"\\|?*\x00-\x1f]')


def entry_name(account: str, path: str, kind: str) -> str:
    """The ZIP member name: account/path plus the kind's extension; characters Windows refuses in
    file names (``:`` in ``onedrive:<id>`` accounts, ...) become ``_`` so the archive extracts anywhere."""
    ext = EXTENSIONS.get(kind, "")
    name = _UNSAFE.sub("_", f"{account}/{path}")
    return name if not ext or name.lower().endswith(ext) else name + ext


def _date(modified: str) -> tuple[int, int, int, int, int, int]:
    try:
        t = datetime.fromisoformat(modified.replace("Z", "+00:00"))
        if t.year >= 1980:
            return (t.year, t.month, t.day, t.hour, t.minute, t.second)
    except ValueError:
        pass
    return (1980, 1, 1, 0, 0, 0)


def zip_stream(snap: BackupSnapshot, account: str | None = None, path: str = "", *, actor: object = None
               ) -> Iterator[bytes]:
    """The ZIP's bytes piece by piece; without ``account`` every account of the snapshot (audited)."""
    store = runtime.store_for(snap.plan.customer_id)
    try:
        split_path(path)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    accounts = [account] if account else [r["account"] for r in store.snapshots.ls(snap.id)]
    if account and path and store.snapshots.lookup(snap.id, account, path) is None \
            and not any(True for _ in store.snapshots.walk(snap.id, account, path)):
        raise Http404(f"{account}/{path} is not in snapshot {snap.id}")
    audit.record("backup.download", actor=actor, customer=snap.plan.customer, target=snap.id,
                 detail={"account": account or "", "path": path})
    return _generate(store, snap.id, accounts, path)


def _generate(store, sid: str, accounts: list[str], path: str) -> Iterator[bytes]:
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for account in accounts:
            for item_path, entry in store.snapshots.walk(sid, account, path):
                if entry.id is None:
                    continue
                info = zipfile.ZipInfo(entry_name(account, item_path, entry.kind), _date(entry.modified))
                info.compress_type = zipfile.ZIP_DEFLATED
                render = RENDERERS.get(entry.kind)
                if render is not None:  # small items stored as Graph JSON: ICS / VCF
                    zf.writestr(info, render(store.get(entry.id)))
                else:
                    # ZIP64 well below its limit (2 GiB - 1): a file of exactly 2 GiB needs it, and
                    # deflate can make incompressible data a little larger
                    with zf.open(info, "w", force_zip64=entry.size >= 1 << 30) as out, store.open(entry.id) as src:
                        while piece := src.read(PIECE):
                            out.write(piece)
                            chunk = pipe.take()
                            if chunk:
                                yield chunk
                for suffix, extra in COMPANIONS.get(entry.kind, ()):  # e.g. readable HTML next to the JSON
                    zf.writestr(zipfile.ZipInfo(info.filename.rpartition(".")[0] + suffix, info.date_time),
                                extra(store.get(entry.id)), compress_type=zipfile.ZIP_DEFLATED)
                chunk = pipe.take()
                if chunk:
                    yield chunk
    yield pipe.take()
