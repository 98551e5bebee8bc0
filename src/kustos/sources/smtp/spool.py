"""Durable, multi-consumer mail spool on a local filesystem (Maildir-like).

Layout under the spool root::

    tmp/            being written; never read by consumers
    new/            complete, durable, waiting for ingest
    work/<owner>/   claimed by one consumer process (owner = "<pid>.<start time>")
    failed/         given up on (with a ``.reason`` file beside each item)

Contracts:

* :meth:`Spool.put` returns only after the item is durable: written to ``tmp/``,
  fsync'ed, renamed into ``new/`` and ``new/`` fsync'ed. A crash at any point
  leaves nothing in ``new/`` or the complete item (``tmp/`` leftovers are swept by
  :meth:`Spool.recover`), except that a power failure (not a process crash) while
  ``put`` runs may leave that item cut short; it was never acknowledged, and
  consumers park it in ``failed/`` as incomplete. ``put`` is :meth:`Spool.write`
  (the ``tmp/`` file, page cache only) then :meth:`Spool.commit` (the blocking part).
* :meth:`Spool.claim` moves items by ``rename`` into the caller's ``work/``
  directory; rename is atomic, so two consumers can never claim the same item.
* :meth:`Spool.ack` unlinks a claimed item once its archive write committed.
* :meth:`Spool.recover` puts claims of dead owners back into ``new/``; an item is
  therefore delivered at least once, and exactly once unless a consumer dies
  between committing the archive and acking (dedup by SHA-256 covers that).

One item is one file: a header line ``KSPOOL1 <json length>\\n``, the JSON envelope,
then the raw message bytes exactly as received.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

MAGIC = b"KSPOOL1"
# An item shorter than its header says: cut short by a power failure between its rename
# into new/ and its fsync, i.e. before the receiver answered 250 (the sender retries).
INCOMPLETE = "incomplete (cut short by a crash before it was acknowledged; the sender retries it)"


class SpoolCorrupt(Exception):
    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"spool item {path.name} is unreadable: {why}")


@dataclass(frozen=True)
class Envelope:
    """SMTP envelope data kept with every spooled message."""

    mail_from: str
    rcpt_tos: list[str]
    customer: str
    received_at: str  # ISO 8601 UTC
    peer: str
    helo: str = ""
    auth_user: str = ""
    tls: bool = False
    size: int = 0
    sha256: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # The client's IP address (IPv4-mapped IPv6 given as IPv4) and whether it authenticated
    # with SMTP AUTH (``auth_user`` names the login): the drain decides from these whether a
    # journal report comes from a sender the customer trusts.
    client_ip: str = ""
    authenticated: bool = False


@dataclass(frozen=True)
class SpoolItem:
    name: str
    path: Path
    envelope: Envelope

    def read(self) -> bytes:
        """The raw message bytes; checks them against the envelope's size and SHA-256."""
        _envelope, data = read_item(self.path)
        return data


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _start_time(pid: int) -> str | None:
    """Process start time (clock ticks since boot) so a reused pid is not mistaken as alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _owner_alive(owner: str) -> bool:
    pid_text, _, started = owner.partition(".")
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if Path("/proc").is_dir():
        return _start_time(pid) == started if started else _start_time(pid) is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _GroupSync:
    """Group commit of directory fsyncs for concurrent writers.

    A writer that renamed a file into the directory needs *an* fsync of the
    directory that started after its rename; one fsync covers every rename made
    before it began, so concurrent writers share it instead of queueing their own.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cond = threading.Condition()
        self._changed = 0  # generation of the latest rename
        self._synced = 0  # highest generation known to be durable
        self._syncing = False

    def sync_after_change(self) -> None:
        with self._cond:
            self._changed += 1
            mine = self._changed
            while True:
                if self._synced >= mine:
                    return
                if not self._syncing:
                    self._syncing = True
                    target = self._changed
                    break
                self._cond.wait()
        ok = False
        try:
            _fsync_dir(self.directory)
            ok = True
        finally:
            with self._cond:
                self._syncing = False
                if ok:  # after a failed fsync the waiters run their own
                    self._synced = max(self._synced, target)
                self._cond.notify_all()


@dataclass(frozen=True)
class PendingItem:
    """An item written to ``tmp/`` by :meth:`Spool.write`, waiting for :meth:`Spool.commit`."""

    name: str
    fd: int


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass  # recover() sweeps tmp/ leftovers of dead writers


_ENVELOPE_FIELDS = tuple(item.name for item in fields(Envelope))


def _write_all(fd: int, parts: tuple[bytes, ...]) -> None:
    """Write ``parts`` to ``fd`` in one writev call (a loop for short writes)."""
    written = os.writev(fd, parts)
    if written == sum(map(len, parts)):
        return
    view = memoryview(b"".join(parts))[written:]
    while view:
        view = view[os.write(fd, view):]


def read_item(path: Path) -> tuple[Envelope, bytes]:
    blob = path.read_bytes()
    header, newline, rest = blob.partition(b"\n")
    parts = header.split(b" ")
    if not newline and MAGIC.startswith(header[: len(MAGIC)]):
        raise SpoolCorrupt(path, INCOMPLETE)
    if not newline or len(parts) != 2 or parts[0] != MAGIC or not parts[1].isdigit():
        raise SpoolCorrupt(path, "bad header")
    length = int(parts[1])
    if len(rest) < length:
        raise SpoolCorrupt(path, INCOMPLETE)
    try:
        envelope = Envelope(**json.loads(rest[:length]))
    except (ValueError, TypeError) as exc:
        raise SpoolCorrupt(path, f"bad envelope ({exc.__class__.__name__})")
    data = rest[length:]
    if len(data) < envelope.size:
        raise SpoolCorrupt(path, INCOMPLETE)
    if len(data) != envelope.size or hashlib.sha256(data).hexdigest() != envelope.sha256:
        raise SpoolCorrupt(path, "size or SHA-256 mismatch")
    return envelope, data


class Spool:
    """See module docstring. Safe for many writer threads and many consumer processes."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.tmp, self.new, self.work, self.failed = (self.root / d for d in ("tmp", "new", "work", "failed"))
        for directory in (self.tmp, self.new, self.work, self.failed):
            directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count()
        self._new_sync = _GroupSync(self.new)
        self._tmp_text, self._new_text = str(self.tmp), str(self.new)
        self._owner = f"{os.getpid()}.{_start_time(os.getpid()) or ''}"

    # -- writing -----------------------------------------------------------------

    def put(self, envelope: Envelope, data: bytes) -> str:
        """Store one message durably (see contracts); returns the item name."""
        return self.commit(self.write(envelope, data))

    def write(self, envelope: Envelope, data: bytes) -> PendingItem:
        """First half of :meth:`put`: the item written to ``tmp/``, not yet durable.

        Only page-cache work (no fsync), so the receiver runs it on its event loop and
        hands just :meth:`commit` to a thread: fewer thread switches per message."""
        # The envelope's fields as JSON (a flat copy: asdict's deep copy cost more CPU than
        # the rest of this method), with the size and SHA-256 of the bytes as received.
        record = {key: getattr(envelope, key) for key in _ENVELOPE_FIELDS}
        record["size"] = len(data)
        record["sha256"] = hashlib.sha256(data).hexdigest()
        body = json.dumps(record, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        name = f"{time.time_ns():020d}.{os.getpid()}.{next(self._counter)}.{secrets.token_hex(4)}"
        tmp_path = f"{self._tmp_text}/{name}"
        fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, (MAGIC + b" %d\n" % len(body), body, data))
        except BaseException:
            os.close(fd)
            _unlink_quietly(tmp_path)
            raise
        return PendingItem(name, fd)

    def commit(self, pending: PendingItem) -> str:
        """Second half of :meth:`put`: rename into ``new/``, fsync the item, fsync ``new/``;
        returns the item name once all of it is durable. On failure the item is removed
        (from ``tmp/``, or from ``new/`` unless a consumer took it already) and the error
        raised, so the sender is told to retry.

        The rename comes before the fsyncs so that one journal commit makes the bytes and
        the name durable together (on ext4 the fsync of the item commits the rename too and
        the directory fsync then finds nothing left to write; fsync, rename, fsync costs
        two commits in a row). Consumers may see the item before it is durable; its bytes
        are complete in the page cache by then. Only a power failure in that window can
        leave an item cut short, and that item was never acknowledged: see ``read_item``."""
        tmp_path = f"{self._tmp_text}/{pending.name}"
        new_path = f"{self._new_text}/{pending.name}"
        try:
            os.rename(tmp_path, new_path)
        except BaseException:
            os.close(pending.fd)
            _unlink_quietly(tmp_path)
            raise
        try:
            try:
                os.fsync(pending.fd)
            finally:
                os.close(pending.fd)
            self._new_sync.sync_after_change()
        except BaseException:
            _unlink_quietly(new_path)
            raise
        return pending.name

    # -- consuming ---------------------------------------------------------------

    def pending(self) -> list[str]:
        """Names waiting in ``new/``, oldest first."""
        return sorted(os.listdir(self.new))

    def claim(self, limit: int = 100) -> list[SpoolItem]:
        """Atomically take up to ``limit`` items for this process (oldest first).

        Unreadable items are moved to ``failed/`` instead of being returned.
        """
        mine = self.work / self._owner
        mine.mkdir(exist_ok=True)
        claimed: list[SpoolItem] = []
        for name in self.pending():
            if len(claimed) >= limit:
                break
            try:
                os.rename(self.new / name, mine / name)
            except FileNotFoundError:
                continue  # another consumer won the race
            try:
                envelope, _ = read_item(mine / name)
            except SpoolCorrupt as exc:
                self._fail(mine / name, str(exc))
                continue
            claimed.append(SpoolItem(name, mine / name, envelope))
        if claimed:
            _fsync_dir(mine)
            _fsync_dir(self.new)
        return claimed

    def ack(self, item: SpoolItem) -> None:
        """Forget a claimed item after the archive committed it."""
        item.path.unlink(missing_ok=True)
        _fsync_dir(item.path.parent)

    def release(self, item: SpoolItem) -> None:
        """Give a claimed item back (e.g. the archive was temporarily unavailable)."""
        os.rename(item.path, self.new / item.name)
        _fsync_dir(self.new)

    def fail(self, item: SpoolItem, reason: str) -> None:
        """Park an item that can never be ingested in ``failed/`` with its reason."""
        self._fail(item.path, reason)

    def _fail(self, path: Path, reason: str) -> None:
        os.rename(path, self.failed / path.name)
        (self.failed / f"{path.name}.reason").write_text(reason + "\n")
        _fsync_dir(self.failed)

    def recover(self) -> int:
        """Requeue claims of dead owners and delete abandoned ``tmp/`` files; returns requeued count."""
        requeued = 0
        for owner_dir in self.work.iterdir():
            if owner_dir.name == self._owner or _owner_alive(owner_dir.name):
                continue
            for path in owner_dir.iterdir():
                os.rename(path, self.new / path.name)
                requeued += 1
            owner_dir.rmdir()
        if requeued:
            _fsync_dir(self.new)
        for path in self.tmp.iterdir():
            pid = path.name.split(".")[1] if path.name.count(".") >= 3 else ""
            if pid.isdigit() and int(pid) != os.getpid() and not _owner_alive(pid):
                path.unlink(missing_ok=True)
        return requeued

    def iter_all(self) -> Iterator[tuple[Envelope, bytes]]:
        """Every complete item in ``new/`` and ``work/`` (diagnostics and tests)."""
        paths = [self.new / name for name in self.pending()]
        paths += [path for owner in self.work.iterdir() for path in owner.iterdir()]
        for path in paths:
            yield read_item(path)
