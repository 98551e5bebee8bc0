"""The durable journaling spool: put, exactly-once claims across processes, recovery."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from kustos.sources.smtp.spool import Envelope, Spool, read_item


def envelope(n: int = 0) -> Envelope:
    return Envelope(mail_from="a@example.com", rcpt_tos=["journal@k.example"], customer="c1",
                    received_at="2026-01-01T00:00:00+00:00", peer="127.0.0.1:1", extra={"n": str(n)})


def test_put_is_complete_and_checksummed(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    data = b"Subject: x\r\n\r\n\x00\xff binary-safe\r\n"
    name = spool.put(envelope(), data)
    assert spool.pending() == [name] and os.listdir(spool.tmp) == []
    stored, raw = read_item(spool.new / name)
    assert raw == data and stored.size == len(data) and stored.customer == "c1"
    (item,) = spool.claim()
    assert item.read() == data and spool.pending() == []
    spool.ack(item)
    assert list(spool.iter_all()) == []


def _consume(root: str, queue: multiprocessing.Queue) -> None:
    spool = Spool(root)
    names: list[str] = []
    while True:
        batch = spool.claim(limit=3)
        if not batch:
            break
        for item in batch:
            names.append(item.envelope.extra["n"])
            spool.ack(item)
    queue.put(names)


def test_concurrent_consumers_claim_each_item_exactly_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    for n in range(300):
        spool.put(envelope(n), b"Subject: %d\r\n\r\nbody\r\n" % n)
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue = context.Queue()
    workers = [context.Process(target=_consume, args=(str(tmp_path), queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(10)
    claimed = [n for names in results for n in names]
    assert sorted(claimed, key=int) == [str(n) for n in range(300)]  # all, none twice
    assert spool.pending() == []


def _claim_and_die(root: str) -> None:
    Spool(root).claim(limit=5)
    os._exit(0)  # dies without acking, like a SIGKILLed worker


def test_claims_of_dead_consumers_are_requeued(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    for n in range(8):
        spool.put(envelope(n), b"m%d" % n)
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_claim_and_die, args=(str(tmp_path),))
    child.start()
    child.join(10)
    assert len(spool.pending()) == 3
    mine = spool.claim(limit=1)
    assert spool.recover() == 5  # the dead child's claims; our own live claim stays
    assert len(spool.pending()) == 7 and mine[0].path.exists()


def test_corrupt_items_are_parked_and_tmp_leftovers_swept(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    name = spool.put(envelope(), b"hello")
    path = spool.new / name
    path.write_bytes(path.read_bytes()[:-1] + b"X")  # one flipped byte
    assert spool.claim() == []
    assert (spool.failed / name).exists() and "SHA-256" in (spool.failed / f"{name}.reason").read_text()
    leftover = spool.tmp / "00000000000000000001.999999999.0.abcd"  # pid that cannot exist
    leftover.write_bytes(b"partial")
    spool.recover()
    assert not leftover.exists()
