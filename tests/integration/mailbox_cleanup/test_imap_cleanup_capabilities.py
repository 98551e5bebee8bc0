"""IMAP cleanup on Dovecot servers that hide capabilities (``imap_capability``): without UIDPLUS a
deletion is refused and every message kept, with the reason; without MOVE the trash action copies,
flags and expunges exactly the archived UIDs (UID EXPUNGE), leaving other \\Deleted mail alone."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from kustos.archive.models import MailboxCleanupMark
from kustos.archive.services import mailbox_cleanup
from kustos.archive.services import sources as service
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from tests.integration.mailbox_cleanup.helpers import deliver, imap_config, mail, server_files
from tests.servers.dovecot import start_dovecot

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]

BASE = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT UNSELECT CHILDREN NAMESPACE LIST-EXTENDED "
        "CONDSTORE ESEARCH LIST-STATUS BINARY LITERAL+ SPECIAL-USE")
REFUSAL = "the server lacks UIDPLUS (refusing to expunge: it could remove unarchived mail)"


def _server(capabilities: str):
    root = Path(tempfile.mkdtemp(prefix="kustos-dovecot-"))
    server = start_dovecot(root, f"\nimap_capability = {capabilities}\n")
    return server, root


@pytest.fixture(scope="module")
def dovecot_without_uidplus():
    server, root = _server(f"{BASE} MOVE")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def dovecot_without_move():
    server, root = _server(f"{BASE} UIDPLUS")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def _archived_source(server, customer, user: str, old: list[bytes], fresh: list[bytes], **config):
    server.add_user(user, f"{user}-pw-1")
    for raw in old:
        deliver(server, user, "INBOX", raw, age_days=45)
    for raw in fresh:
        deliver(server, user, "INBOX", raw)
    source = service.add(customer, "imap", imap_config(server, user, **config), f"{user}-pw-1")
    assert service.run(source)["imported"] == len(old) + len(fresh)
    runtime.store_for(customer.id).ledger.seal(force=True)
    return source


def _deleted_flagged(server, user: str, raw: bytes) -> None:
    """An unarchived old message the user flagged \\Deleted: a plain EXPUNGE would remove it."""
    path = deliver(server, user, "INBOX", raw, age_days=45)
    path.rename(path.parent.parent / "cur" / f"{path.name}:2,T")


def test_without_uidplus_a_deletion_is_refused_and_every_message_kept(dovecot_without_uidplus, archive_customer):
    server = dovecot_without_uidplus
    old = [mail(i, "nouidplus") for i in range(3)]
    fresh = [mail(9, "nouidplus-fresh")]
    source = _archived_source(server, archive_customer, "uwe", old, fresh)
    before = sorted(server_files(server, "uwe", "INBOX").values())
    assert before == sorted(old + fresh)

    result = mailbox_cleanup.run(source, older_than_days=30, actor="test")
    assert (result["deleted"], result["kept"], result["freed_bytes"]) == (0, 3, 0)
    assert [s["reason"] for s in result["skipped"]] == [REFUSAL] * 3
    assert sorted(server_files(server, "uwe", "INBOX").values()) == before  # every message, byte for byte
    assert ".Trash" not in {p.name for p in (server.root / "home" / "uwe" / "Maildir").iterdir()}
    assert not MailboxCleanupMark.objects.exists()  # asked again next time (the server may gain UIDPLUS)
    assert not AuditEvent.objects.filter(action="source.mailbox_cleanup").exists()

    # moving to the trash needs no expunge: with MOVE the archived messages go, the fresh one stays
    service.update(source, {"cleanup_action": "trash"})
    source.refresh_from_db()
    moved = mailbox_cleanup.run(source, older_than_days=30, actor="test")
    assert (moved["deleted"], moved["kept"]) == (3, 0)
    assert list(server_files(server, "uwe", "INBOX").values()) == fresh
    assert sorted(server_files(server, "uwe", "Trash").values()) == sorted(old)


def test_without_move_the_trash_action_copies_and_expunges_only_archived_uids(dovecot_without_move,
                                                                               archive_customer):
    server = dovecot_without_move
    old = [mail(i, "nomove") for i in range(3)]
    fresh = [mail(9, "nomove-fresh")]
    source = _archived_source(server, archive_customer, "mona", old, fresh, cleanup_action="trash",
                              exclude=["Trash"])
    flagged = mail(7, "nomove-flagged")
    _deleted_flagged(server, "mona", flagged)  # arrived after the archive run: not archived

    result = mailbox_cleanup.run(source, older_than_days=30, actor="test")
    assert (result["deleted"], result["kept"], result["freed_bytes"]) == (3, 0, sum(len(r) for r in old))
    assert sorted(server_files(server, "mona", "INBOX").values()) == sorted(fresh + [flagged])
    assert sorted(server_files(server, "mona", "Trash").values()) == sorted(old)
    assert MailboxCleanupMark.objects.filter(outcome="trash").count() == 3
