"""A private Dovecot (IMAP + POP3) on 127.0.0.1 for tests: pytest plugin module.

Registered in ``tests.servers.plugins``, so the ``dovecot`` fixture is available to
every test. The server
gets its own config, base_dir, ports, self-signed certificate and Maildir homes in
a temp dir; the system-wide Dovecot is never touched. Mailboxes are Maildir++
(hierarchy delimiter ``.``), users come from a passwd-file with plain passwords.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers import process
from tests.servers.tls import CertPair, free_port, make_self_signed

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = kustos-test-{imap}
log_path = {root}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login xoauth2
first_valid_uid = 0
mail_location = maildir:{root}/home/%u/Maildir
mail_privileged_group =
default_internal_user = {internal}
default_login_user = {login}
mail_plugins =
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd.d/%u
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
# No per-IP auth penalty: the tests log in wrongly on purpose from 127.0.0.1.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
# Test dirs are 0700 root: let auth read the passwd-file as root.
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {pop3s}
    ssl = yes
  }}
}}
"""


@dataclass
class Dovecot:
    """A running private Dovecot; ``users`` maps username → password."""

    root: Path
    certs: CertPair
    imap_port: int
    imaps_port: int
    pop3_port: int
    pop3s_port: int
    config: Path
    process: subprocess.Popen[bytes]
    mail_uid: int = 0
    mail_gid: int = 0
    users: dict[str, str] = field(default_factory=dict)
    _counter: int = 0

    def _own(self, *paths: Path) -> None:
        # Dovecot refuses to access mail as root, so mail files belong to mail_uid.
        if os.getuid() == 0:
            for path in paths:
                os.chown(path, self.mail_uid, self.mail_gid)

    def add_user(self, username: str, password: str) -> None:
        # One passwd-file per user: Dovecot re-reads a changed file at most once a
        # second, but a file it has never opened is read at once.
        if self.users.get(username) not in (None, password):
            raise ValueError(f"user {username} already exists with another password")
        self.users[username] = password
        (self.root / "passwd.d" / username).write_text(f"{username}:{{PLAIN}}{password}\n")
        self.maildir(username, "INBOX")

    def maildir(self, username: str, folder: str) -> Path:
        """The Maildir directory of ``folder`` (raw name, ``.``-delimited) created if missing."""
        home = self.root / "home" / username
        base = home / "Maildir"
        path = base if folder.upper() == "INBOX" else base / f".{folder}"
        if (path / "tmp").is_dir():
            return path
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        self._own(home, base, path, *(path / sub for sub in ("cur", "new", "tmp")))
        if path != base:
            (path / "maildirfolder").touch()
            self._own(path / "maildirfolder")
        return path

    def deliver(self, username: str, folder: str, data: bytes, seen: bool = False) -> Path:
        """Drop one message into the folder the way an MDA would (tmp → new/cur)."""
        self._counter += 1
        path = self.maildir(username, folder)
        unique = f"{time.time_ns()}.P{os.getpid()}Q{self._counter}.{uuid.uuid4().hex[:8]}"
        tmp = path / "tmp" / unique
        tmp.write_bytes(data)
        self._own(tmp)
        final = path / "cur" / f"{unique}:2,S" if seen else path / "new" / unique
        tmp.rename(final)
        return final

    def reset_uidvalidity(self, username: str, folder: str) -> None:
        """Throw away Dovecot's UID list and indexes: the folder gets a new UIDVALIDITY.

        This is what happens when a server is restored or migrated. UIDVALIDITY is
        derived from the clock, so wait until it must differ from the old one.
        """
        path = self.maildir(username, folder)
        time.sleep(1.1)
        for name in os.listdir(path):
            if name.startswith("dovecot-uidlist") or name.startswith("dovecot.index"):
                (path / name).unlink()

    def stop(self) -> None:
        process.stop(self.process)


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    process.wait_listening("dovecot", port, proc, log, deadline)


def start_dovecot(root: Path, extra_config: str = "") -> Dovecot:
    """Write a private config under ``root`` and start ``dovecot -F`` on free ports.

    ``extra_config`` is appended to the config (e.g. ``imap_capability = ...`` to hide capabilities)."""
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot binary missing (apt-get install dovecot-imapd dovecot-pop3d)")
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("run", "state", "home"):
        (root / sub).mkdir(exist_ok=True)
    certs = make_self_signed(root / "tls")
    ports = {name: free_port() for name in ("imap", "imaps", "pop3", "pop3s")}
    # The temp dir must be traversable by the unprivileged mail user.
    root.chmod(0o755)
    mail_uid, mail_gid = _mail_ids()
    internal = "dovecot" if _user_exists("dovecot") else "nobody"
    login = "dovenull" if _user_exists("dovenull") else "nobody"
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, cert=certs.cert, key=certs.key, uid=mail_uid,
                                    gid=mail_gid, internal=internal, login=login, **ports) + extra_config)
    (root / "passwd.d").mkdir(exist_ok=True)
    log = root / "dovecot.log"
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=open(root / "stderr.log", "wb"))  # noqa: SIM115 - closed with the process
    deadline = time.monotonic() + 20
    try:
        for port in ports.values():
            _wait_listening(port, process, log, deadline)
    except RuntimeError:
        process.kill()
        raise
    return Dovecot(root=root, certs=certs, imap_port=ports["imap"], imaps_port=ports["imaps"],
                   pop3_port=ports["pop3"], pop3s_port=ports["pop3s"], config=config, process=process,
                   mail_uid=mail_uid, mail_gid=mail_gid)


def _mail_ids() -> tuple[int, int]:
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """A fresh private Dovecot per test module.

    Its directory comes from ``tempfile.mkdtemp`` (not pytest's 0700 tmp tree) because
    Dovecot's unprivileged processes must be able to traverse into it.
    """
    root = Path(tempfile.mkdtemp(prefix="kustos-dovecot-"))
    server = start_dovecot(root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def corpus_messages(corpus: Path, count: int, subdir: str = "email/edge/notmuch") -> list[bytes]:
    """``count`` distinct real messages from the shared corpus, CRLF-normalised.

    IMAP/POP3 servers deliver lines with CRLF, so the test data is normalised up
    front; then the bytes a connector fetches must equal the bytes delivered.
    """
    messages: list[bytes] = []
    seen: set[bytes] = set()
    for path in sorted((corpus / subdir).rglob("*")):
        if not path.is_file() or path.stat().st_size > 512 * 1024:
            continue
        data = path.read_bytes()
        if b"\n\n" not in data.replace(b"\r\n", b"\n"):
            continue  # not a message with a header section
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if data in seen:
            continue
        seen.add(data)
        messages.append(data)
        if len(messages) == count:
            return messages
    pytest.skip(f"corpus {subdir} has fewer than {count} usable messages")
    return messages
