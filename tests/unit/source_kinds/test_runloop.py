"""The run loop commits a scope's cursor only after the sink has made its batch durable."""

from __future__ import annotations

import pytest

from kustos.sources.base import Batch, Item, Scope
from kustos.sources.runloop import drive


class Connector:
    name = "fake"

    def __init__(self, batches: dict[str, list[Batch]]) -> None:
        self.batches = batches
        self.asked: dict[str, object] = {}

    def check(self) -> None:
        pass

    def scopes(self):
        return [Scope(id=s) for s in self.batches]

    def fetch(self, scope, cursor):
        self.asked[scope.id] = cursor
        yield from self.batches[scope.id]


class Cursors(dict):
    def get(self, scope_id):  # noqa: D102 - the CursorStore protocol
        return super().get(scope_id)

    def commit(self, scope_id, cursor):
        self[scope_id] = cursor


class ArchiveLike:
    """Durable per batch; fails on the batch whose first item is ``boom``."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, scope, batch):
        if batch.items and batch.items[0].source_id == "boom":
            raise OSError("disk full")
        self.written += [i.source_id for i in batch.items]
        return [(scope.id, batch.next_cursor)] if batch.next_cursor is not None else []

    def finish(self):
        return []


class BackupLike:
    """Stages everything; durable only when the snapshot commits in ``finish``."""

    def __init__(self, fail: bool = False) -> None:
        self.staged: list[tuple[str, dict]] = []
        self.fail = fail

    def write(self, scope, batch):
        if batch.next_cursor is not None:
            self.staged.append((scope.id, batch.next_cursor))
        return []

    def finish(self):
        if self.fail:
            raise OSError("snapshot commit failed")
        return list(self.staged)


def batches(*pairs):
    return [Batch(items=[Item(source_id=i) for i in ids], next_cursor=c) for ids, c in pairs]


def test_archive_sink_commits_each_durable_batch_and_none_after_a_failure():
    conn = Connector({"inbox": batches((["a"], {"n": 1}), (["boom"], {"n": 2})), "sent": batches((["c"], {"n": 9}))})
    cursors, sink = Cursors(inbox={"n": 0}), ArchiveLike()
    with pytest.raises(OSError):
        drive(conn, cursors, sink)
    assert conn.asked == {"inbox": {"n": 0}}  # fetched from the stored cursor
    assert cursors == {"inbox": {"n": 1}} and sink.written == ["a"]  # the failed batch's cursor is not committed


def test_archive_sink_run_commits_every_scope_and_counts():
    conn = Connector({"inbox": batches((["a", "b"], {"n": 1}), ([], None)), "sent": batches((["c"], {"n": 9}))})
    cursors = Cursors()
    counts = drive(conn, cursors, ArchiveLike())
    assert cursors == {"inbox": {"n": 1}, "sent": {"n": 9}}
    assert (counts.fetched, counts.scopes, counts.committed) == (3, 2, ["inbox", "sent"])


def test_backup_sink_cursors_are_committed_with_the_snapshot_only():
    conn = Connector({"drive": batches((["f1"], {"d": 1}), (["f2"], {"d": 2}))})
    cursors = Cursors()
    with pytest.raises(OSError):
        drive(conn, cursors, BackupLike(fail=True))
    assert cursors == {}  # no snapshot, no cursor
    drive(conn, cursors, BackupLike())
    assert cursors == {"drive": {"d": 2}}
