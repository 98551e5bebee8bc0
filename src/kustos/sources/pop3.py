"""POP3 pull connector: new messages by UIDL (RFC 1939), TLS or STLS (RFC 2595).

POP3 has one mailbox, so there is one scope (``INBOX``). The cursor is the set of
UIDLs already delivered, stored compactly: ``{"v": 1, "seen": base64(zlib(sorted
UIDLs joined by newlines))}``. UIDLs that disappear from the server are reported
as deletion markers and dropped from the cursor.
"""

from __future__ import annotations

import base64
import poplib
import socket
import ssl
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from kustos.sources.base import AuthenticationFailed, Batch, ConnectorError, Cursor, Item, Scope, TLSFailure
from kustos.sources.egress import EgressPolicy
from kustos.sources.imap.connection import ImapSettings, translate_network_error

MAX_LINE = 1 << 20  # poplib's 2048-byte line limit rejects real-world mail; RFC 5322 allows 998+ (folded)
CURSOR_VERSION = 1


class Pop3ProtocolError(ConnectorError):
    """The server answered something that is not valid POP3 (e.g. a broken UIDL line)."""


class _LongLines:
    def _getline(self) -> tuple[bytes, int]:
        line: bytes = self.file.readline(MAX_LINE + 1)  # type: ignore[attr-defined]
        if len(line) > MAX_LINE:
            raise poplib.error_proto("line too long")
        if not line:
            raise poplib.error_proto("-ERR EOF")
        octets = len(line)
        if line[-2:] == b"\r\n":
            return line[:-2], octets
        if line[:1] == b"\r":
            return line[1:-1], octets
        return line[:-1], octets


class _POP3(_LongLines, poplib.POP3):
    def __init__(self, host: str, port: int, timeout: float, egress: EgressPolicy | None = None) -> None:
        self._egress = egress
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float) -> socket.socket:
        if self._egress is None:
            return super()._create_socket(timeout)  # type: ignore[misc]  # poplib's hook, not in typeshed
        return self._egress.connect(self.host, self.port, timeout)  # a checked address, never a re-resolution


class _POP3SSL(_LongLines, poplib.POP3_SSL):
    def __init__(self, host: str, port: int, timeout: float, context: ssl.SSLContext,
                 egress: EgressPolicy | None = None) -> None:
        self._egress = egress
        self._tls_context = context
        super().__init__(host, port, timeout=timeout, context=context)

    def _create_socket(self, timeout: float) -> socket.socket:
        if self._egress is None:
            return super()._create_socket(timeout)  # type: ignore[misc]  # poplib's hook, not in typeshed
        sock = self._egress.connect(self.host, self.port, timeout)
        return self._tls_context.wrap_socket(sock, server_hostname=self.host)  # SNI and certificate check: the name


def encode_seen(uidls: Iterable[str]) -> str:
    joined = "\n".join(sorted(set(uidls))).encode("utf-8")
    return base64.b64encode(zlib.compress(joined, 9)).decode("ascii")


def decode_seen(text: str) -> set[str]:
    if not text:
        return set()
    joined = zlib.decompress(base64.b64decode(text)).decode("utf-8")
    return set(joined.split("\n")) if joined else set()


def parse_uidl(lines: Iterable[bytes]) -> dict[int, str]:
    """Parse UIDL listing lines (``b"1 whqtswO00WBw418f9t5JxYwZ"``) → {msg number: uidl}.

    RFC 1939 UIDs are 1-70 printable ASCII characters; anything else is a protocol
    error (continuing would lose track of which message is which).
    """
    result: dict[int, str] = {}
    for raw in lines:
        parts = raw.decode("ascii", "replace").split()
        if len(parts) != 2 or not parts[0].isdigit() or not 0 < len(parts[1]) <= 70:
            raise Pop3ProtocolError(f"malformed UIDL line from server: {raw[:80]!r}")
        result[int(parts[0])] = parts[1]
    return result


class Pop3Connector:
    """Connector for one POP3 mailbox; leaves messages on the server unless asked."""

    name: ClassVar[str] = "pop3"

    def __init__(
        self,
        host: str,
        port: int = 995,
        security: str = "tls",
        username: str = "",
        password: str | None = None,
        oauth2_token: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 60.0,
        batch_size: int = 50,
        egress: EgressPolicy | None = None,
    ) -> None:
        self.settings = ImapSettings(host=host, port=port, security=security, username=username,
                                     password=password, oauth2_token=oauth2_token,
                                     ssl_context=ssl_context, timeout=timeout, egress=egress)
        self.batch_size = max(1, batch_size)

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def check(self) -> None:
        with self._session() as client:
            client.stat()

    def scopes(self) -> Iterable[Scope]:
        return [Scope(id="INBOX", kind="mailbox", name="INBOX")]

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        seen, reset = self._load(cursor)
        with self._session() as client:
            listing = parse_uidl(client.uidl()[1])
            current = set(listing.values())
            pending = [Item(source_id=uidl, folder=scope.name, deleted=True) for uidl in sorted(seen - current)]
            seen &= current
            new = [(number, uidl) for number, uidl in sorted(listing.items()) if uidl not in seen]
            for start in range(0, len(new), self.batch_size):
                items, pending = pending, []
                for number, uidl in new[start:start + self.batch_size]:
                    lines = client.retr(number)[1]
                    data = b"\r\n".join(lines) + b"\r\n"
                    items.append(Item(source_id=uidl, data=data, folder=scope.name, meta={"msgnum": number}))
                    seen.add(uidl)
                yield Batch(items=items, next_cursor=self._dump(seen), reset=reset)
                reset = False
            if not new:
                yield Batch(items=pending, next_cursor=self._dump(seen), reset=reset)

    def delete_archived(self, uidls: Iterable[str]) -> list[str]:
        """DELE the messages with these UIDLs (archived and verified); returns those deleted.

        Deletions take effect at QUIT (RFC 1939 UPDATE state), so a dropped
        connection deletes nothing.
        """
        wanted = set(uidls)
        deleted: list[str] = []
        with self._session() as client:
            for number, uidl in sorted(parse_uidl(client.uidl()[1]).items()):
                if uidl in wanted:
                    client.dele(number)
                    deleted.append(uidl)
        return deleted

    # -- internals ---------------------------------------------------------------

    @staticmethod
    def _load(cursor: Cursor | None) -> tuple[set[str], bool]:
        if not cursor:
            return set(), False
        try:
            if int(cursor.get("v", 0)) != CURSOR_VERSION:
                return set(), True
            return decode_seen(str(cursor.get("seen", ""))), False
        except (ValueError, TypeError, zlib.error, UnicodeDecodeError):
            return set(), True

    @staticmethod
    def _dump(seen: set[str]) -> Cursor:
        return {"v": CURSOR_VERSION, "seen": encode_seen(seen)}

    def _session(self) -> _Session:
        return _Session(self.settings)


class _Session:
    """Context manager: connected, secured and logged-in POP3 client; QUIT on success."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.where = f"{settings.host}:{settings.port}"
        self.client: poplib.POP3 | None = None

    def __enter__(self) -> poplib.POP3:
        s = self.settings
        context = s.ssl_context or ssl.create_default_context()
        try:
            if s.security == "tls":
                self.client = _POP3SSL(s.host, s.port, timeout=s.timeout, context=context, egress=s.egress)
            else:
                self.client = _POP3(s.host, s.port, timeout=s.timeout, egress=s.egress)
            if s.security == "starttls":
                self._stls(self.client, context)
            self._login(self.client)
        except ConnectorError:
            self._abort()
            raise
        except (OSError, EOFError, poplib.error_proto) as exc:
            self._abort()
            raise self._translate(exc) from exc
        return self.client

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.client is None:
            return
        if exc is not None:
            self._abort()
            if isinstance(exc, OSError | EOFError | poplib.error_proto):
                raise self._translate(exc) from exc
            return
        try:
            self.client.quit()  # QUIT commits DELEs (UPDATE state)
        except (OSError, EOFError, poplib.error_proto) as error:
            raise self._translate(error) from error

    def _translate(self, exc: BaseException) -> ConnectorError:
        if isinstance(exc, poplib.error_proto):
            return Pop3ProtocolError(f"{self.where} answered unexpectedly ({_first_words(exc)})")
        return translate_network_error(exc, self.where)

    def _stls(self, client: poplib.POP3, context: ssl.SSLContext) -> None:
        try:
            capabilities = client.capa()
        except poplib.error_proto:
            capabilities = {}
        if "STLS" not in capabilities:
            raise TLSFailure(f"{self.where} does not offer STLS (STARTTLS for POP3)")
        client.stls(context)

    def _login(self, client: poplib.POP3) -> None:
        s = self.settings
        try:
            if s.oauth2_token is not None:
                token = f"user={s.username}\x01auth=Bearer {s.oauth2_token}\x01\x01".encode()
                # poplib has no AUTH command; _shortcmd sends one line and checks +OK.
                reply = client._shortcmd("AUTH XOAUTH2 " + base64.b64encode(token).decode("ascii"))  # type: ignore[attr-defined]
                if not reply.startswith(b"+OK"):
                    # A "+ <base64 JSON>" challenge carries the error (RFC 7628 style); the
                    # client answers with an empty line and the server then says -ERR.
                    client._shortcmd("")  # type: ignore[attr-defined]
                    raise poplib.error_proto(b"-ERR XOAUTH2 rejected")
            else:
                assert s.password is not None
                client.user(s.username)
                client.pass_(s.password)
        except poplib.error_proto as exc:
            text = _first_words(exc)
            if "[SYS/TEMP]" in text or "[IN-USE]" in text:
                raise ConnectorError(f"{self.where} cannot open the mailbox right now ({text})")
            method = "OAuth2 token" if s.oauth2_token is not None else "username or password"
            raise AuthenticationFailed(f"{self.where} rejected the login for {s.username!r}: wrong {method}")

    def _abort(self) -> None:
        # Close without QUIT so pending DELEs are not committed.
        if self.client is not None:
            try:
                self.client.close()
            except OSError:
                pass


def _first_words(exc: BaseException) -> str:
    text = exc.args[0] if exc.args else b""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    return str(text)[:80]
