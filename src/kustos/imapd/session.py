"""One IMAP connection's state machine: commands in, responses out (RFC 3501, read-only).

Backend calls (logins, folders, bytes, search) run in a worker thread (``call``); the session itself
holds no archive data beyond the selected folder's UID list.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from kustos.imapd import fetchitems, searchkeys
from kustos.imapd.backend import Account, Authenticator, AuthError, CommandError, FolderInfo, MessageInfo
from kustos.imapd.limits import AuthThrottle
from kustos.imapd.protocol import (
    Atom,
    ParseError,
    decode_mailbox,
    encode_mailbox,
    parse_seqset,
    quote,
    split_command,
    text,
    tokenize,
    uid_positions,
)

log = logging.getLogger("kustos.imapd")

READ_ONLY = "NO [CANNOT] The archive is read-only"
WRITE_COMMANDS = {"APPEND", "STORE", "COPY", "MOVE", "EXPUNGE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
                  "UNSUBSCRIBE", "SETACL", "DELETEACL", "SETQUOTA", "SETMETADATA", "SETANNOTATION"}
AUDIT_BATCH = 1000
MAX_FAILED_LOGINS = 3


class Closing(Exception):
    """The connection ends after the responses already sent."""


class Session:
    def __init__(self, *, authenticator: Authenticator, throttle: AuthThrottle, client: str, loopback: bool,
                 tls_available: bool, secure: bool, call: Callable[..., Awaitable[Any]],
                 send: Callable[[bytes], Awaitable[None]], read_line: Callable[[], Awaitable[bytes]]) -> None:
        self.authenticator, self.throttle, self.client, self.loopback = authenticator, throttle, client, loopback
        self.tls_available, self.secure = tls_available, secure
        self.call, self.send, self.read_line = call, send, read_line
        self.account: Account | None = None
        self.folder: FolderInfo | None = None
        self.messages: list[MessageInfo] = []
        self.uids: list[int] = []
        self.fetched: list[str] = []
        self.fetched_set: set[str] = set()
        self.failed_logins = 0
        self.starttls_requested = False

    # --- helpers -----------------------------------------------------------------------------------

    @property
    def plaintext_login_allowed(self) -> bool:
        return self.secure or self.loopback

    def capabilities(self) -> str:
        caps = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "IDLE", "NAMESPACE", "UNSELECT", "CHILDREN"]
        if self.tls_available and not self.secure and self.account is None:
            caps.append("STARTTLS")
        if self.account is None:
            caps.append("AUTH=PLAIN" if self.plaintext_login_allowed else "LOGINDISABLED")
        return " ".join(caps)

    async def untagged(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        await self.send(b"* " + data + b"\r\n")

    async def tagged(self, tag: str, line: str) -> None:
        await self.send(f"{tag} {line}\r\n".encode("utf-8", "replace"))

    async def greeting(self) -> None:
        await self.untagged(f"OK [CAPABILITY {self.capabilities()}] Kustos archive IMAP server ready (read-only)")

    # --- dispatch ----------------------------------------------------------------------------------

    async def handle(self, data: bytes) -> None:
        """One complete command (line plus literals). Raises Closing to end the connection."""
        try:
            tag, name, rest = split_command(data)
        except ParseError as exc:
            await self.send(f"* BAD {exc}\r\n".encode())
            return
        try:
            await self.dispatch(tag, name, rest)
        except ParseError as exc:
            await self.tagged(tag, f"BAD {exc}")
        except (AuthError, CommandError) as exc:
            await self.tagged(tag, f"NO {exc}")

    async def dispatch(self, tag: str, name: str, rest: bytes) -> None:
        if name == "UID":
            m = re.match(rb"([A-Za-z]+)(?: |$)", rest)
            if not m:
                raise ParseError("UID needs a command (FETCH, SEARCH)")
            sub = m.group(1).decode().upper()
            if sub in WRITE_COMMANDS:
                return await self.tagged(tag, READ_ONLY)
            if sub not in ("FETCH", "SEARCH"):
                raise ParseError(f"UID {sub[:20]} is not supported")
            self.require_selected()
            args = tokenize(rest[m.end():])
            return await (self.fetch(tag, args, uid=True) if sub == "FETCH" else self.search(tag, args, uid=True))
        if name in WRITE_COMMANDS:
            return await self.tagged(tag, READ_ONLY)
        handler = getattr(self, "cmd_" + name.lower(), None)
        if handler is None:
            raise ParseError(f"unknown command {name[:20]}")
        await handler(tag, rest)

    def require_auth(self) -> Account:
        if self.account is None:
            raise ParseError("log in first")
        return self.account

    def require_selected(self) -> FolderInfo:
        self.require_auth()
        if self.folder is None:
            raise ParseError("select a folder first")
        return self.folder

    # --- any state ---------------------------------------------------------------------------------

    async def cmd_capability(self, tag: str, rest: bytes) -> None:
        await self.untagged("CAPABILITY " + self.capabilities())
        await self.tagged(tag, "OK CAPABILITY completed")

    async def cmd_noop(self, tag: str, rest: bytes) -> None:
        await self.tagged(tag, "OK NOOP completed")

    async def cmd_check(self, tag: str, rest: bytes) -> None:
        self.require_selected()
        await self.tagged(tag, "OK CHECK completed")

    async def cmd_id(self, tag: str, rest: bytes) -> None:
        await self.untagged('ID ("name" "Kustos")')
        await self.tagged(tag, "OK ID completed")

    async def cmd_logout(self, tag: str, rest: bytes) -> None:
        await self.deselect()  # the audit batch is written before the client hears the end
        await self.untagged("BYE Kustos archive IMAP server logging out")
        await self.tagged(tag, "OK LOGOUT completed")
        raise Closing()

    # --- not authenticated -------------------------------------------------------------------------

    async def cmd_starttls(self, tag: str, rest: bytes) -> None:
        if not self.tls_available or self.secure:
            raise ParseError("STARTTLS is not available" if not self.tls_available else "TLS is already active")
        if self.account is not None:
            raise ParseError("STARTTLS only before logging in")
        await self.tagged(tag, "OK Begin TLS negotiation now")
        self.starttls_requested = True

    async def cmd_login(self, tag: str, rest: bytes) -> None:
        args = tokenize(rest)
        if len(args) != 2:
            raise ParseError("LOGIN needs a user name and a password")
        await self.login(tag, text(args[0]), text(args[1]))

    async def cmd_authenticate(self, tag: str, rest: bytes) -> None:
        args = tokenize(rest)
        if not args or text(args[0]).upper() != "PLAIN" or len(args) > 2:
            return await self.tagged(tag, "NO [CANNOT] only AUTHENTICATE PLAIN is supported")
        if not self.plaintext_login_allowed:
            return await self.tagged(tag, "NO [PRIVACYREQUIRED] use STARTTLS (or the TLS port) before logging in")
        if len(args) == 2:
            response = text(args[1]).encode()
        else:
            await self.send(b"+ \r\n")
            try:
                response = (await asyncio.wait_for(self.read_line(), self.throttle.limits.login_timeout)).strip()
            except TimeoutError:
                await self.untagged("BYE idle for too long, closing")
                raise Closing() from None
        if response == b"*":
            return await self.tagged(tag, "BAD AUTHENTICATE cancelled")
        try:
            decoded = base64.b64decode(response, validate=True).decode("utf-8")
            authz, user, password = decoded.split("\x00")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return await self.tagged(tag, "BAD malformed PLAIN response")
        if authz and authz != user:
            return await self.tagged(tag, "NO [AUTHORIZATIONFAILED] acting as another user is not allowed")
        await self.login(tag, user, password)

    async def login(self, tag: str, username: str, password: str) -> None:
        if self.account is not None:
            raise ParseError("already logged in")
        if not self.plaintext_login_allowed:
            return await self.tagged(tag, "NO [PRIVACYREQUIRED] use STARTTLS (or the TLS port) before logging in")
        username = username.strip()[:320]
        if await self.call(self.throttle.locked, username, self.client):
            await self.call(self.authenticator.failed, username, self.client, "locked")
            await self.failed(tag, "NO [UNAVAILABLE] too many failed logins; try again later")
            return
        try:
            self.account = await self.call(self.authenticator.login, username, password, self.client)
        except AuthError as exc:
            await self.call(self.throttle.failure, username, self.client)
            await asyncio.sleep(self.throttle.limits.failure_delay)
            await self.failed(tag, f"NO [AUTHENTICATIONFAILED] {exc}")
            return
        await self.call(self.throttle.success, username, self.client)
        await self.tagged(tag, f"OK [CAPABILITY {self.capabilities()}] logged in (read-only archive)")

    async def failed(self, tag: str, line: str) -> None:
        self.failed_logins += 1
        await self.tagged(tag, line)
        if self.failed_logins >= MAX_FAILED_LOGINS:
            await self.untagged("BYE too many failed logins")
            raise Closing()

    # --- authenticated -----------------------------------------------------------------------------

    async def cmd_namespace(self, tag: str, rest: bytes) -> None:
        self.require_auth()
        await self.untagged('NAMESPACE (("" "/")) NIL NIL')
        await self.tagged(tag, "OK NAMESPACE completed")

    async def cmd_list(self, tag: str, rest: bytes, verb: str = "LIST") -> None:
        account = self.require_auth()
        args = tokenize(rest)
        if len(args) != 2:
            raise ParseError(f"{verb} needs a reference and a mailbox pattern")
        reference, pattern = decode_mailbox(text(args[0])), decode_mailbox(text(args[1]))
        if pattern == "":
            await self.untagged(f'{verb} (\\Noselect) "/" ""')
            return await self.tagged(tag, f"OK {verb} completed")
        regex = _pattern(reference + pattern)
        for folder in await self.call(account.folders):
            if not regex.fullmatch(folder.name):
                continue
            flags = [] if folder.selectable else ["\\Noselect"]
            flags.append("\\HasChildren" if folder.has_children else "\\HasNoChildren")
            await self.untagged(f"{verb} ({' '.join(flags)}) \"/\" ".encode() + quote(encode_mailbox(folder.name)))
        await self.tagged(tag, f"OK {verb} completed")

    async def cmd_lsub(self, tag: str, rest: bytes) -> None:
        await self.cmd_list(tag, rest, verb="LSUB")

    async def cmd_status(self, tag: str, rest: bytes) -> None:
        account = self.require_auth()
        args = tokenize(rest)
        if len(args) != 2 or not isinstance(args[1], list):
            raise ParseError("STATUS needs a mailbox and a list of items")
        name = decode_mailbox(text(args[0]))
        opened = await self.call(account.open, name)
        if opened is None or not opened[0].selectable:
            return await self.tagged(tag, "NO [NONEXISTENT] no such folder")
        folder, messages = opened
        values = {"MESSAGES": len(messages), "RECENT": 0, "UNSEEN": 0, "UIDVALIDITY": folder.uidvalidity,
                  "UIDNEXT": (messages[-1].uid + 1) if messages else 1}
        out = []
        for item in args[1]:
            key = text(item).upper()
            if key not in values:
                raise ParseError(f"unknown STATUS item {key[:20]}")
            out.append(f"{key} {values[key]}")
        await self.untagged(b"STATUS " + quote(encode_mailbox(folder.name)) + f" ({' '.join(out)})".encode())
        await self.tagged(tag, "OK STATUS completed")

    async def cmd_select(self, tag: str, rest: bytes, verb: str = "SELECT") -> None:
        account = self.require_auth()
        args = tokenize(rest)
        if len(args) != 1:
            raise ParseError(f"{verb} needs one mailbox name")
        await self.deselect()
        opened = await self.call(account.open, decode_mailbox(text(args[0])))
        if opened is None or not opened[0].selectable:
            return await self.tagged(tag, "NO [NONEXISTENT] no such folder")
        self.folder, self.messages = opened
        self.uids = [m.uid for m in self.messages]
        keywords = sorted({f for m in self.messages for f in m.flags if not f.startswith("\\")})
        await self.untagged(" ".join(["FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft", *keywords]) + ")")
        await self.untagged("OK [PERMANENTFLAGS ()] the archive is read-only")
        await self.untagged(f"{len(self.messages)} EXISTS")
        await self.untagged("0 RECENT")
        await self.untagged(f"OK [UIDVALIDITY {self.folder.uidvalidity}] UIDs valid")
        await self.untagged(f"OK [UIDNEXT {(self.uids[-1] + 1) if self.uids else 1}] next UID")
        await self.tagged(tag, f"OK [READ-ONLY] {verb} completed (the archive is read-only)")

    async def cmd_examine(self, tag: str, rest: bytes) -> None:
        await self.cmd_select(tag, rest, verb="EXAMINE")

    async def cmd_idle(self, tag: str, rest: bytes) -> None:
        self.require_auth()
        await self.send(b"+ idling\r\n")
        while True:
            try:
                line = await asyncio.wait_for(self.read_line(), self.throttle.limits.idle_timeout)
            except TimeoutError:
                await self.untagged("BYE idle for too long, closing")
                raise Closing() from None
            if line.strip().upper() == b"DONE":
                break
        await self.tagged(tag, "OK IDLE terminated")

    # --- selected ----------------------------------------------------------------------------------

    async def cmd_close(self, tag: str, rest: bytes) -> None:
        self.require_selected()
        await self.deselect()
        await self.tagged(tag, "OK CLOSE completed (nothing expunged: the archive is read-only)")

    async def cmd_unselect(self, tag: str, rest: bytes) -> None:
        self.require_selected()
        await self.deselect()
        await self.tagged(tag, "OK UNSELECT completed")

    async def cmd_fetch(self, tag: str, rest: bytes) -> None:
        self.require_selected()
        await self.fetch(tag, tokenize(rest), uid=False)

    async def cmd_search(self, tag: str, rest: bytes) -> None:
        self.require_selected()
        await self.search(tag, tokenize(rest), uid=False)

    async def fetch(self, tag: str, args: list, uid: bool) -> None:
        if len(args) < 2 or not isinstance(args[0], Atom):
            raise ParseError("FETCH needs a sequence set and data items")
        items = fetchitems.parse_items(args[1:], uid)
        if uid:
            numbers = [i + 1 for i in uid_positions(str(args[0]), self.uids)]
        else:
            numbers = sorted(parse_seqset(str(args[0]), len(self.uids)))
        account = self.require_auth()
        needs_bytes = any(item.needs_bytes for item in items)
        content = any(item.is_content for item in items)
        for n in numbers:
            message = self.messages[n - 1]
            raw: bytes = await self.call(account.fetch, message) if needs_bytes else b""
            await self.send(fetchitems.render(n, message, items, functools.partial(bytes, raw)))
            if content:
                await self.note_fetched(message.message_id)
        await self.tagged(tag, f"OK {'UID ' if uid else ''}FETCH completed")

    async def search(self, tag: str, args: list, uid: bool) -> None:
        account = self.require_auth()
        folder = self.require_selected()
        tree = searchkeys.compile_keys(args, self.uids, {m.uid: m.flags for m in self.messages},
                                       {m.uid: m.internaldate.date() for m in self.messages})
        messages = self.messages

        async def run(query: str) -> set[int]:
            return await self.call(account.search, folder, query, messages)

        # evaluate() is synchronous: collect the index queries first, then answer them.
        answers: dict[str, set[int]] = {}
        searchkeys.evaluate(tree, self.uids, lambda q: answers.setdefault(q, set()))
        for query in list(answers):
            answers[query] = await run(query)
        found = searchkeys.evaluate(tree, self.uids, lambda q: answers[q])
        if uid:
            result = [u for u in self.uids if u in found]
        else:
            result = [i + 1 for i, u in enumerate(self.uids) if u in found]
        await self.untagged("SEARCH" + "".join(f" {n}" for n in result))
        await self.tagged(tag, f"OK {'UID ' if uid else ''}SEARCH completed")

    # --- audit -------------------------------------------------------------------------------------

    async def note_fetched(self, message_id: str) -> None:
        if message_id in self.fetched_set:
            return
        self.fetched_set.add(message_id)
        self.fetched.append(message_id)
        if len(self.fetched) >= AUDIT_BATCH:
            await self.flush_audit()

    async def flush_audit(self) -> None:
        if self.fetched and self.account is not None and self.folder is not None:
            ids, self.fetched = self.fetched, []
            await self.call(self.account.record_fetches, self.folder, ids)

    async def deselect(self) -> None:
        await self.flush_audit()
        self.fetched_set.clear()
        self.folder, self.messages, self.uids = None, [], []

    async def finish(self) -> None:
        """Connection end: flush the audit batch and let the account go."""
        try:
            await self.deselect()
        finally:
            if self.account is not None:
                account, self.account = self.account, None
                await self.call(account.close)


def _pattern(pattern: str) -> re.Pattern[str]:
    """LIST wildcards: ``*`` matches anything, ``%`` anything but the hierarchy delimiter."""
    out = []
    for ch in pattern[:1000]:
        out.append(".*" if ch == "*" else "[^/]*" if ch == "%" else re.escape(ch))
    regex = "".join(out)
    if pattern.upper().startswith("INBOX"):
        return re.compile("(?i:INBOX)" + "".join(out[5:]))
    return re.compile(regex)
