"""Hostile input: time budgets, ZIP bombs, deep nesting, huge inputs, text caps."""

from __future__ import annotations

import base64
import threading
import time
import zipfile

import pytest

from kustos.mail import Limits, parse
from kustos.mail.attachments import REGISTRY, extract_text
from kustos.mail.deadline import ExtractionTimeout, active_budgets, time_budget
from kustos.mail.extractors import Context, Extracted
from kustos.mail.mime import parse_tree
from tests.unit.mail.adversarial import deep_multipart, rfc822_chain
from tests.unit.mail.mail_samples import make_pdf, make_zip, message_with


class _Spin:
    """A pathological extractor: loops forever and swallows ordinary exceptions,
    like a sloppy third-party parser stuck on a crafted file."""

    name = "spin"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        while True:
            try:
                sum(range(1000))
            except Exception:
                pass


@pytest.fixture
def spin_type(monkeypatch: pytest.MonkeyPatch) -> str:
    ctype = "application/x-kustos-test-spin"
    monkeypatch.setitem(REGISTRY.by_type, ctype, _Spin())
    return ctype


def test_time_budget_interrupts_a_looping_extractor_and_ingest_continues(spin_type: str) -> None:
    raw = message_with([("loop.bin", spin_type, b"x"), ("after.txt", "text/plain", b"still extracted")])
    start = time.monotonic()
    msg = parse(raw, Limits(attachment_seconds=0.3))
    elapsed = time.monotonic() - start
    assert elapsed < 10.0  # bounded even on a loaded CI machine; the error text proves the cut-off
    spin, after = msg.attachments
    assert spin.extract_error == "extraction timed out after 0.3s"
    assert after.text == "still extracted" and after.extract_error == ""
    assert msg.parse_error == ""


def test_hostile_pdf_is_cut_off_by_the_time_budget() -> None:
    # 20,000 text operators: pypdf needs seconds for this; the budget allows 0.3 s.
    pdf = make_pdf([f"word {i}" for i in range(20000)])
    start = time.monotonic()
    result = extract_text(pdf, "application/pdf", "big.pdf", Limits(attachment_seconds=0.3), 0, _unused)
    assert time.monotonic() - start < 10.0
    assert result.error == "extraction timed out after 0.3s"


def _unused(data: bytes, ctx: Context) -> Extracted:
    raise AssertionError("not called")


def test_budget_closed_in_time_leaves_no_pending_timeout() -> None:
    with time_budget(0.05):
        pass
    time.sleep(0.2)  # a stray asynchronous exception would surface here
    with pytest.raises(ExtractionTimeout):
        with time_budget(0.05) as budget:
            time.sleep(0.1)
            budget.check()


def test_budgets_expiring_at_the_edge_never_leak_a_timeout() -> None:
    for _ in range(300):
        try:
            with time_budget(0.002):
                end = time.monotonic() + 0.002
                while time.monotonic() < end:
                    pass
        except ExtractionTimeout:
            pass  # expected for some iterations; what matters is what happens after
    time.sleep(0.3)  # a stray asynchronous exception would be raised in here
    assert active_budgets() == 0


def test_budgets_in_other_threads_are_independent(spin_type: str) -> None:
    errors: list[str] = []

    def run() -> None:
        msg = parse(message_with([("loop.bin", spin_type, b"x")]), Limits(attachment_seconds=0.2))
        errors.append(msg.attachments[0].extract_error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == ["extraction timed out after 0.2s"] * 3


def test_zip_bomb_by_ratio_is_listed_not_inflated() -> None:
    bomb = make_zip({"zeros.bin": b"\0" * (20 * 1024 * 1024), "readme.txt": b"harmless text"})
    assert len(bomb) < 100_000
    start = time.monotonic()
    result = extract_text(bomb, "application/zip", "bomb.zip", Limits(), 0, _unused)
    assert time.monotonic() - start < 8.0
    assert result.members == ["zeros.bin", "readme.txt"]
    assert result.text == "readme.txt\nharmless text"


def test_zip_byte_budget_bounds_reads_when_ratio_check_is_off() -> None:
    archive = make_zip({f"part{i}.txt": b"a" * 600_000 for i in range(5)})
    limits = Limits(max_zip_ratio=10**9, max_zip_total_bytes=1_000_000, max_attachment_chars=10**7)
    result = extract_text(archive, "application/zip", "", limits, 0, _unused)
    assert result.members == [f"part{i}.txt" for i in range(5)]
    # 1,000,000 bytes were allowed: the first member whole, part of the second, none after
    blocks = result.text.split("\n\n")
    assert [b.split("\n")[0] for b in blocks] == ["part0.txt", "part1.txt"]
    assert sum(len(b.split("\n")[1]) for b in blocks) == 1_000_000


def test_nested_zip_bomb_shares_member_and_depth_limits() -> None:
    level = make_zip({"leaf.txt": b"leaf"})
    for _ in range(6):
        level = make_zip({f"copy{i}.zip": level for i in range(4)}, zipfile.ZIP_STORED)
    assert len(level) < 5_000_000  # 4**6 = 4096 leaves if fully expanded
    limits = Limits(max_zip_members=50, max_depth=3)
    start = time.monotonic()
    result = extract_text(level, "application/zip", "", limits, 0, _unused)
    assert time.monotonic() - start < 10.0
    assert 0 < len(result.members) <= 50
    assert max(m.count("/") for m in result.members) <= 3


def test_deeply_nested_multiparts_do_not_recurse_forever() -> None:
    depth = 5000
    head = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(depth)
    )
    raw = (
        b"From: a@b.c\nSubject: deep\nContent-Type: multipart/mixed; boundary=b0\n\n"
        + head
        + b"--b5000\n\ninner\n"
    )
    msg = parse(raw)
    assert msg.subject == "deep"
    assert "MimeNestingTooDeep" in msg.defects


def test_nested_messages_stop_at_max_depth() -> None:
    raw = b"From: a@b.c\nSubject: level0\n\nbottom text\n"
    for level in range(1, 10):
        raw = b"From: a@b.c\nSubject: level%d\nContent-Type: message/rfc822\n\n" % level + raw
    msg = parse(raw, Limits(max_depth=3))
    assert msg.subject == "level9"
    texts = [msg.attachments[0].text]
    assert "Subject: level8" in texts[0]
    assert "bottom text" not in texts[0]


def test_text_caps_per_attachment_and_message() -> None:
    big = "word " * 50_000
    raw = message_with([(f"f{i}.txt", "text/plain", big.encode()) for i in range(4)])
    msg = parse(raw, Limits(max_attachment_chars=100_000, max_message_chars=250_000))
    sizes = [len(a.text) for a in msg.attachments]
    assert sizes == [100_000, 100_000, 50_000, 0]


def test_oversized_attachment_is_listed_with_reason() -> None:
    raw = message_with([("big.txt", "text/plain", b"x" * 5000)])
    [att] = parse(raw, Limits(max_attachment_bytes=1000)).attachments
    assert (att.size, att.text, att.extract_error) == (5000, "", "not extracted: larger than 1000 bytes")


def test_huge_header_and_body_parse_quickly() -> None:
    raw = b"Subject: " + b"x" * 2_000_000 + b"\nFrom: a@b.c\n\n" + b"line of text\n" * 400_000
    start = time.monotonic()
    msg = parse(raw)
    assert time.monotonic() - start < 15.0
    assert len(msg.subject) == Limits().max_header_bytes  # cut before it is copied
    assert "HeaderTooLong" in msg.defects
    assert len(msg.body_text) == Limits().max_body_chars


def test_countless_parts_are_bounded() -> None:
    parts = b"".join(b"--B\nContent-Type: text/x-part\n\npart %d\n" % i for i in range(20000))
    raw = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=B\n\n" + parts + b"--B--\n"
    start = time.monotonic()
    msg = parse(raw, Limits(max_attachments=10))
    assert time.monotonic() - start < 15.0
    assert len(msg.attachments) == 5000  # MAX_PARTS - 1 real parts + 1 opaque remainder
    assert "TooManyParts" in msg.defects
    assert msg.attachments[-1].content_type == "application/octet-stream"
    assert msg.attachments[-1].extract_error == "not parsed: more than 5000 MIME parts"
    assert [a.text for a in msg.attachments[:2]] == ["part 0", "part 1"]


def test_body_decoded_only_to_the_cap_still_decodes_cleanly() -> None:
    # The cap cuts the base64-decoded prefix inside a two-byte character; the cut
    # character must not turn the undeclared UTF-8 text into a charset guess.
    text = "x" + "\u00e4" * 5000
    raw = (
        b"From: a@b.c\nSubject: cap\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(text.encode())
    )
    msg = parse(raw, Limits(max_body_chars=1000))
    assert msg.body_text == text[:1000]


def test_parts_beyond_the_nesting_cap_are_listed_with_the_reason() -> None:
    msg = parse(deep_multipart(200_000, depth=80))
    assert "MimeNestingTooDeep" in msg.defects
    [opaque] = msg.attachments
    assert opaque.extract_error == "not parsed: MIME nesting deeper than 64"
    assert opaque.part_path == ".".join(["1"] * 64)


def test_encoded_nested_messages_are_decoded_within_a_budget() -> None:
    raw = rfc822_chain(200_000, depth=6, encoding=b"quoted-printable")
    tree, _emlx = parse_tree(raw)
    levels = []
    node = tree
    while node is not None:
        levels.append(node)
        node = node.message
    # The message's own body is the first encoded message: decoding it copies almost
    # the whole message, which uses up the budget of one message size, so the next
    # encoded level stays opaque.
    assert len(levels) == 2
    assert levels[-1].opaque == "encoded nested messages exceed the decoding budget"
    assert "NestedMessageNotDecoded" in levels[-1].defects
    assert parse(raw).subject == "hostile"
