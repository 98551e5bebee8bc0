"""The journaling receiver's fast paths give the same answers as the slow ones they bypass."""

from __future__ import annotations

import asyncio
import os
import random
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from kustos.sources.smtp import JournalHandler, Spool, address_map_resolver
from kustos.sources.smtp import handler as handler_module
from kustos.sources.smtp.fastaddr import simple_address
from kustos.sources.smtp.fastdata import FastDataSMTP
from kustos.sources.smtp.spool import INCOMPLETE, read_item
from kustos.sources.smtp.spool import Envelope as SpoolEnvelope


def aiosmtpd_getaddr(arg: str, local_part_limit: int = 0) -> tuple[str | None, str | None]:
    server = SMTP.__new__(SMTP)
    server.local_part_limit = local_part_limit
    return server._getaddr(arg)


def fast_getaddr(arg: str, local_part_limit: int = 0) -> tuple[str | None, str | None]:
    server = FastDataSMTP.__new__(FastDataSMTP)
    server.local_part_limit = local_part_limit
    return server._getaddr(arg)


@pytest.mark.parametrize(("arg", "expected"), [
    ("<a@b.c>", ("a@b.c", "")),
    ("<journal@contoso.example> SIZE=4711", ("journal@contoso.example", "SIZE=4711")),
    ("<a.b+c@d-e.f>  SIZE=1 BODY=8BITMIME", ("a.b+c@d-e.f", "SIZE=1 BODY=8BITMIME")),
    ("<A!#$%&'*/=?^_`{|}~-@B.C>", ("A!#$%&'*/=?^_`{|}~-@B.C", "")),
])
def test_simple_addresses_take_the_fast_path(arg: str, expected: tuple[str, str]) -> None:
    assert simple_address(arg) == expected == aiosmtpd_getaddr(arg)


@pytest.mark.parametrize("arg", [
    "<>", "<a@b.c", " <a@b.c>", "<a..b@c>", "<.a@b>", "<a@b.>", "<a@b..c>", "<a@[1.2.3.4]>",
    '<"x y"@b>', "<a@b.c> (comment)", "<a@b.c>SIZE=1", "<a@b.c>\tX\t", "<a@b.c> ", "<@route:a@b>",
    "<ä@b.c>", "<a(c)@b>", "a@b.c", "<a@b.c>>",
])
def test_everything_else_goes_to_the_full_parser(arg: str) -> None:
    assert simple_address(arg) is None
    assert fast_getaddr(arg) == aiosmtpd_getaddr(arg)


def test_fast_path_agrees_with_aiosmtpd_on_generated_commands() -> None:
    rng = random.Random(16)
    atoms = list("abZ9.-+='!#~`|{}/?^_$%&*") + [".."]
    tails = atoms + [" ", "\t", ">", "<", '"', "(", ")", "[", "]", ":", ",", ";", "\\", "SIZE=12",
                     "BODY=8BITMIME", "ä", "\x7f"]
    fast = 0
    for _ in range(20000):
        local = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 4)))
        domain = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 4)))
        tail = "".join(rng.choice(tails) for _ in range(rng.randint(0, 5)))
        arg = f"<{local}@{domain}>{tail}"
        if simple_address(arg) is not None:
            fast += 1
            assert simple_address(arg) == aiosmtpd_getaddr(arg), arg
    assert fast > 1000  # the generator exercises the fast path, not only the fallback


def test_local_part_limit_applies_on_the_fast_path() -> None:
    assert fast_getaddr("<abcdef@b.c>", local_part_limit=5) == (None, None) \
        == aiosmtpd_getaddr("<abcdef@b.c>", local_part_limit=5)
    assert fast_getaddr("<abcde@b.c>", local_part_limit=5) == ("abcde@b.c", "")


def test_static_resolver_is_case_insensitive_and_non_blocking() -> None:
    resolve = address_map_resolver({"Journal@Archive.Test": "c1"})
    assert resolve("<journal@ARCHIVE.test>") == "c1" and resolve("other@archive.test") is None
    assert getattr(resolve, "blocking", True) is False


def _rcpt_thread(tmp_path: Path, resolver) -> tuple[str, int]:
    handler = JournalHandler(Spool(tmp_path), resolver)
    envelope = Envelope()
    session = Session(asyncio.new_event_loop())
    session.peer = ("127.0.0.1", 4000)

    async def run() -> tuple[str, int]:
        reply = await handler.handle_RCPT(SimpleNamespace(), session, envelope, "j@archive.test", [])
        return reply, threading.get_ident()

    try:
        return asyncio.run(run())
    finally:
        session.loop.close()


def test_blocking_resolvers_run_in_a_thread_static_maps_on_the_loop(tmp_path: Path) -> None:
    seen: list[int] = []

    def database_lookup(address: str) -> str:
        seen.append(threading.get_ident())
        return "c1"

    reply, loop_thread = _rcpt_thread(tmp_path / "a", database_lookup)
    assert reply.startswith("250") and seen and seen[0] != loop_thread

    static = address_map_resolver({"j@archive.test": "c1"})
    calls: list[int] = []
    static.table = _Recording(static.table, calls)  # type: ignore[attr-defined]
    reply, loop_thread = _rcpt_thread(tmp_path / "b", static)
    assert reply.startswith("250") and calls == [loop_thread]


def test_a_connection_reuses_its_blocking_lookup_for_a_few_seconds(tmp_path: Path, monkeypatch) -> None:
    calls: list[str] = []

    def database_lookup(address: str) -> str | None:
        calls.append(address)
        return "c1" if address.startswith("j@") else None

    handler = JournalHandler(Spool(tmp_path), database_lookup)

    async def rcpts(session: Session, addresses: list[str]) -> list[str]:
        return [await handler.handle_RCPT(SimpleNamespace(), session, Envelope(), address, [])
                for address in addresses]

    async def run() -> None:
        first, second = Session(asyncio.get_running_loop()), Session(asyncio.get_running_loop())
        first.peer = second.peer = ("127.0.0.1", 4000)
        replies = await rcpts(first, ["j@archive.test", "J@Archive.Test", "x@archive.test", "j@archive.test"])
        assert [reply[:3] for reply in replies] == ["250", "250", "550", "250"]
        assert calls == ["j@archive.test", "x@archive.test"]  # one lookup per address and connection
        assert (await rcpts(second, ["j@archive.test"]))[0].startswith("250")
        assert len(calls) == 3  # a new connection asks again
        monkeypatch.setattr(handler_module, "RESOLVE_TTL", 0.0)
        await rcpts(first, ["y@archive.test", "y@archive.test"])  # expired at once: asked each time
        assert calls[3:] == ["y@archive.test", "y@archive.test"]

    asyncio.run(run())


class _Recording(dict):
    def __init__(self, table: dict[str, str], calls: list[int]) -> None:
        super().__init__(table)
        self.calls = calls

    def get(self, key, default=None):  # type: ignore[override]
        self.calls.append(threading.get_ident())
        return super().get(key, default)


def test_spool_write_is_invisible_until_commit(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    envelope = SpoolEnvelope(mail_from="a@example.com", rcpt_tos=["j@archive.test"], customer="c1",
                             received_at="2026-01-01T00:00:00+00:00", peer="127.0.0.1:1")
    data = b"Subject: x\r\n\r\n" + bytes(range(256)) * 300
    pending = spool.write(envelope, data)
    assert spool.pending() == [] and [p.name for p in spool.tmp.iterdir()] == [pending.name]
    assert spool.commit(pending) == pending.name
    assert spool.pending() == [pending.name] and list(spool.tmp.iterdir()) == []
    stored, raw = read_item(spool.new / pending.name)
    assert raw == data and stored.size == len(data) and stored.rcpt_tos == ["j@archive.test"]

    broken = spool.write(envelope, data)
    os.close(broken.fd)  # fsync fails: nothing reaches new/, tmp/ is cleaned, the error is raised
    with pytest.raises(OSError):
        spool.commit(broken)
    assert spool.pending() == [pending.name] and list(spool.tmp.iterdir()) == []


@pytest.mark.parametrize("keep", [0, 5, 12, 40, -7])
def test_an_item_cut_short_is_parked_as_incomplete(tmp_path: Path, keep: int) -> None:
    """What a power failure between the rename into new/ and the fsync can leave behind."""
    spool = Spool(tmp_path)
    envelope = SpoolEnvelope(mail_from="a@example.com", rcpt_tos=["j@archive.test"], customer="c1",
                             received_at="2026-01-01T00:00:00+00:00", peer="127.0.0.1:1")
    name = spool.put(envelope, b"Subject: x\r\n\r\nbody\r\n")
    path = spool.new / name
    path.write_bytes(path.read_bytes()[:keep])
    assert spool.claim() == [] and spool.pending() == []
    assert (spool.failed / f"{name}.reason").read_text().startswith("spool item")
    assert INCOMPLETE in (spool.failed / f"{name}.reason").read_text()


def test_a_damaged_complete_item_is_not_called_incomplete(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    envelope = SpoolEnvelope(mail_from="a@example.com", rcpt_tos=["j@archive.test"], customer="c1",
                             received_at="2026-01-01T00:00:00+00:00", peer="127.0.0.1:1")
    name = spool.put(envelope, b"Subject: x\r\n\r\nbody\r\n")
    path = spool.new / name
    path.write_bytes(path.read_bytes()[:-3] + b"XYZ")
    assert spool.claim() == []
    assert "SHA-256 mismatch" in (spool.failed / f"{name}.reason").read_text()
