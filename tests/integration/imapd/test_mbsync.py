"""A real, independent IMAP client (isync's mbsync, installed by scripts/apt-packages.txt) syncs the
archive into a local Maildir: every message arrives byte-identically, in its archived folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kustos.accounts.services import app_passwords
from kustos.imapd.service import tls_context
from tests.integration.imapd.conftest import ALICE, BOB, LAYOUT, PASSWORD, World, sha, start_server
from tests.integration.imapd.test_tls_and_limits import make_cert

pytestmark = pytest.mark.skipif(shutil.which("mbsync") is None, reason="isync (mbsync) is not installed")


def sync(world: World, tmp_path: Path, user: str, password: str, *, port: int | None = None,
         tls: str = "SSLType None") -> Path:
    maildir = tmp_path / "Mail"
    maildir.mkdir()
    config = tmp_path / "mbsyncrc"
    config.write_text(f"""IMAPAccount archive
Host 127.0.0.1
Port {port or world.port}
User {user}
Pass "{password}"
{tls}
AuthMechs LOGIN

IMAPStore archive-far
Account archive

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel archive
Far :archive-far:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
""")
    config.chmod(0o600)
    proc = subprocess.run(["mbsync", "-c", str(config), "-a"], capture_output=True, text=True, timeout=120,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return maildir


def without_tuid(data: bytes) -> bytes:
    """mbsync's own bookkeeping: it appends one ``X-TUID:`` line to the header of every message it
    copies (to recognise it later); remove exactly that line and nothing else."""
    head, sep, body = data.partition(b"\n\n")
    lines = head.split(b"\n")
    assert len([line for line in lines if line.startswith(b"X-TUID: ")]) == 1, head
    return b"\n".join(line for line in lines if not line.startswith(b"X-TUID: ")) + sep + body


def maildir_messages(root: Path) -> dict[str, list[bytes]]:
    """Folder (relative path) -> message files' bytes (without mbsync's X-TUID line)."""
    out: dict[str, list[bytes]] = {}
    for sub in ("cur", "new"):
        for path in root.rglob(f"{sub}/*"):
            if path.is_file():
                folder = str(path.parent.parent.relative_to(root))
                out.setdefault(folder, []).append(without_tuid(path.read_bytes()))
    return out


def expected(raw: bytes) -> bytes:
    """mbsync stores Maildir files with LF line ends (it turns the wire's CRLF into LF)."""
    return raw.replace(b"\r\n", b"\n")


def test_mbsync_end_user_sync_is_byte_identical(world: World, tmp_path: Path):
    _, secret = app_passwords.create(world.alice, "mbsync")
    got = maildir_messages(sync(world, tmp_path, ALICE, secret))
    want: dict[str, list[bytes]] = {}
    for box, folder, subject, *_ in LAYOUT:
        folder = folder.replace("Übersicht", "&ANw-bersicht")  # mbsync keeps the IMAP (UTF-7) name
        if box == ALICE:
            want.setdefault(folder, []).append(expected(world.raw[world.by_subject[subject].id]))
    assert {f: sorted(sha(b) for b in bodies) for f, bodies in got.items()} == \
        {f: sorted(sha(b) for b in bodies) for f, bodies in want.items()}
    # Messages archived with LF line ends arrive exactly as archived, byte for byte.
    lf_only = [world.raw[world.by_subject[s].id] for b, _, s, _, crlf in LAYOUT if b == ALICE and not crlf]
    assert {sha(r) for r in lf_only} <= {sha(b) for bodies in got.values() for b in bodies}


def test_mbsync_admin_sync_of_every_mailbox(world: World, tmp_path: Path):
    got = maildir_messages(sync(world, tmp_path, world.admin.email, PASSWORD))
    want: dict[str, list[bytes]] = {}
    for box, folder, subject, *_ in LAYOUT:
        folder = folder.replace("Übersicht", "&ANw-bersicht")
        want.setdefault(f"{box}/{folder}", []).append(expected(world.raw[world.by_subject[subject].id]))
    assert {f: sorted(sha(b) for b in bodies) for f, bodies in got.items()} == \
        {f: sorted(sha(b) for b in bodies) for f, bodies in want.items()}
    assert sum(len(v) for v in got.values()) == len(LAYOUT)
    assert f"{BOB}/Vertraulich" in got


def test_mbsync_over_starttls(world: World, tmp_path: Path):
    cert, key = make_cert(tmp_path)
    server = start_server(tls_context=tls_context(cert, key))
    try:
        got = maildir_messages(sync(world, tmp_path, ALICE, PASSWORD, port=server.port,
                                    tls=f"SSLType STARTTLS\nCertificateFile {cert}"))
    finally:
        server.stop()
    want = {expected(world.raw[world.by_subject[s].id]) for b, _, s, *_ in LAYOUT if b == ALICE}
    assert sorted(sha(b) for bodies in got.values() for b in bodies) == sorted(sha(b) for b in want)
