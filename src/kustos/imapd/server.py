"""The asyncio listener: connection limits, line/literal bounds, timeouts, implicit TLS and STARTTLS.

Without a TLS context the server binds loopback only (``loopback_only``) and says so in the log.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kustos.imapd.backend import Authenticator
from kustos.imapd.limits import AuthThrottle, ConnectionLimiter, Limits
from kustos.imapd.protocol import LITERAL_AT_END, ParseError, split_command
from kustos.imapd.session import WRITE_COMMANDS, Closing, Session

log = logging.getLogger("kustos.imapd")

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class Fatal(Exception):
    """The client broke a bound; the connection is closed after a BYE with this text."""


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limits: Limits) -> None:
        self.reader, self.writer, self.limits = reader, writer, limits

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_line(self) -> bytes:
        try:
            return await self.reader.readuntil(b"\n")
        except asyncio.LimitOverrunError:
            raise Fatal(f"line too long (at most {self.limits.max_line} bytes)") from None
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise Fatal("connection closed in the middle of a line") from None
            raise EOFError() from None

    async def read_command(self) -> bytes:
        """One command with its literals. A synchronising literal of a write command is never
        invited (the command is refused before the client sends it)."""
        buf = bytearray()
        while True:
            line = await self.read_line()
            buf += line
            if len(buf) > self.limits.max_command:
                raise Fatal(f"command too long (at most {self.limits.max_command} bytes)")
            m = LITERAL_AT_END.search(line)
            if not m:
                return bytes(buf)
            size, non_sync = int(m.group(1)), bool(m.group(2))
            if size > self.limits.max_literal:
                if non_sync:
                    raise Fatal(f"literal too large (at most {self.limits.max_literal} bytes)")
                return bytes(buf)  # answered BAD without inviting the literal
            if not non_sync:
                if _is_write(bytes(buf)):
                    return bytes(buf)
                await self.send(b"+ Ready for literal\r\n")
            try:
                buf += await self.reader.readexactly(size)
            except asyncio.IncompleteReadError:
                raise EOFError() from None


def _is_write(data: bytes) -> bool:
    try:
        _, name, rest = split_command(data)
    except ParseError:
        return False
    if name == "UID":
        name = rest.split(b" ", 1)[0].decode("ascii", "replace").upper()
    return name in WRITE_COMMANDS


class IMAPServer:
    """``start()`` binds; ``port`` / ``tls_port`` are the bound ports (0 = pick one)."""

    def __init__(self, authenticator: Authenticator, *, host: str = "127.0.0.1", port: int = 1143,
                 tls_port: int | None = None, tls_context: ssl.SSLContext | None = None,
                 limits: Limits | None = None, workers: int = 8, throttle: AuthThrottle | None = None) -> None:
        self.authenticator = authenticator
        self.limits = limits or Limits()
        self.tls_context = tls_context
        self.loopback_only = tls_context is None
        if self.loopback_only and not is_loopback_host(host):
            log.warning("IMAP: no TLS certificate configured (KUSTOS_IMAP_TLS_CERT/KUSTOS_IMAP_TLS_KEY): "
                        "listening on loopback only, not on %s", host)
            host = "127.0.0.1"
        elif self.loopback_only:
            log.warning("IMAP: no TLS certificate configured: listening on loopback only")
        self.host, self.port, self.tls_port = host, port, tls_port if tls_context is not None else None
        self.throttle = throttle or AuthThrottle(self.limits)
        self.connections = ConnectionLimiter(self.limits)
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imapd")
        self._servers: list[asyncio.base_events.Server] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task] = set()

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args))

    async def start(self) -> None:
        server = await asyncio.start_server(functools.partial(self._client, implicit_tls=False), self.host,
                                            self.port, limit=self.limits.max_line)
        self._servers.append(server)
        self.port = server.sockets[0].getsockname()[1]
        if self.tls_port is not None and self.tls_context is not None:
            tls = await asyncio.start_server(functools.partial(self._client, implicit_tls=True), self.host,
                                             self.tls_port, limit=self.limits.max_line, ssl=self.tls_context,
                                             ssl_handshake_timeout=30)
            self._servers.append(tls)
            self.tls_port = tls.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, implicit_tls: bool) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        peer = writer.get_extra_info("peername") or ("?", 0)
        client = str(peer[0])
        refused = self.connections.acquire(client)
        if refused:
            try:
                writer.write(f"* BYE {refused}\r\n".encode())
                await writer.drain()
            finally:
                writer.close()
                self._tasks.discard(task)  # type: ignore[arg-type]
            return
        conn = Connection(reader, writer, self.limits)
        session = Session(authenticator=self.authenticator, throttle=self.throttle, client=client,
                          loopback=is_loopback_host(client), tls_available=self.tls_context is not None,
                          secure=implicit_tls, call=self.call, send=conn.send, read_line=conn.read_line)
        try:
            await session.greeting()
            await self._loop_commands(conn, session, writer)
        except (ConnectionError, EOFError, Fatal, TimeoutError, ssl.SSLError, asyncio.CancelledError):
            pass  # the client went away or broke a bound mid-command
        except Exception:  # one client's failure never takes the server down
            log.exception("IMAP session from %s failed", client)
        finally:
            try:
                await session.finish()
            except Exception:
                log.exception("IMAP: closing a session failed")
            self.connections.release(client)
            writer.close()
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def _loop_commands(self, conn: Connection, session: Session, writer: asyncio.StreamWriter) -> None:
        while True:
            timeout = self.limits.idle_timeout if session.account is not None else self.limits.login_timeout
            try:
                data = await asyncio.wait_for(conn.read_command(), timeout)
            except TimeoutError:
                await conn.send(b"* BYE idle for too long, closing\r\n")
                return
            except Fatal as exc:
                await conn.send(f"* BYE {exc}\r\n".encode())
                return
            m = LITERAL_AT_END.search(data)
            if m and int(m.group(1)) > self.limits.max_literal and not _is_write(data):
                tag = data.split(b" ", 1)[0].decode("ascii", "replace")[:64]
                await conn.send(f"{tag} BAD literal too large (at most {self.limits.max_literal} bytes)\r\n".encode())
                continue
            try:
                await session.handle(data)
            except Closing:
                return
            if session.starttls_requested and self.tls_context is not None:
                session.starttls_requested = False
                if conn.reader._buffer:  # type: ignore[attr-defined]  # plaintext sent after STARTTLS would pass as protected: refuse
                    return
                await writer.start_tls(self.tls_context)
                session.secure = True

    # --- running in a thread (kustos serve, tests) ---------------------------------------------------

    def start_in_thread(self) -> IMAPServer:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # noqa: BLE001  (reported to the starting thread)
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="imapd", daemon=True)
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]
        return self

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
        self.executor.shutdown(wait=True, cancel_futures=True)

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await asyncio.gather(*(s.serve_forever() for s in self._servers))
        finally:
            await self._shutdown()
