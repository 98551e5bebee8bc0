"""The SMTP journaling receiver: in-process (``start``/``stop``) or standalone loop.

``kustos serve`` runs it in a background thread with :meth:`JournalReceiver.start`;
``kustos smtpd`` (and ``python -m kustos.sources.smtp``) run
:meth:`JournalReceiver.serve_forever` in the main thread until SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import threading
from collections.abc import Callable, Iterable

from aiosmtpd.smtp import SMTP

from kustos.sources.smtp.handler import Authenticator, JournalHandler, RecipientResolver, make_authenticator
from kustos.sources.smtp.limits import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_CLIENT, ConnectionLimiter
from kustos.sources.smtp.net import Network, parse_networks
from kustos.sources.smtp.session import JournalSMTP
from kustos.sources.smtp.spool import Spool

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_IDLE_TIMEOUT = 60.0


class ReceiverStartFailed(RuntimeError):
    def __init__(self, host: str, port: int, why: str) -> None:
        super().__init__(f"SMTP journaling receiver could not listen on {host}:{port}: {why}")


class JournalReceiver:
    """SMTP server that spools journal mail durably before answering 250.

    ``resolve_recipient(address)`` maps a journaling address to a customer id or a
    :class:`JournalTarget` (customer + client networks allowed to deliver to that
    address, others get 550 at RCPT), or ``None`` to reject it at RCPT with 550.
    ``max_bytes`` is announced as SIZE and enforced with 552. ``auth(username,
    password)`` enables SMTP AUTH (over TLS only when a ``tls_context`` is given,
    unless ``auth_require_tls`` says otherwise); it is mandatory unless
    ``auth_required=False``. Without ``auth`` AUTH is not offered at all.
    ``allowed_networks`` limits client IPs (550 at MAIL FROM). ``tls_context``
    enables STARTTLS; ``require_tls`` makes it mandatory. ``max_connections`` and
    ``max_connections_per_client`` cap open connections (421 and close above them);
    ``timeout`` is the idle timeout in seconds.
    """

    def __init__(
        self,
        spool_dir: str | os.PathLike[str],
        resolve_recipient: RecipientResolver,
        max_bytes: int = DEFAULT_MAX_BYTES,
        auth: Authenticator | None = None,
        allowed_networks: Iterable[str | Network] | None = None,
        tls_context: ssl.SSLContext | None = None,
        hostname: str | None = None,
        host: str = "127.0.0.1",
        port: int = 2525,
        require_tls: bool = False,
        auth_require_tls: bool | None = None,
        timeout: float = DEFAULT_IDLE_TIMEOUT,
        auth_required: bool = True,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_connections_per_client: int = DEFAULT_MAX_PER_CLIENT,
    ) -> None:
        self.spool = Spool(spool_dir)
        self.handler = JournalHandler(self.spool, resolve_recipient, parse_networks(allowed_networks))
        self.host = host
        self.port = port
        self.limiter = ConnectionLimiter(max_connections_per_client, max_connections)
        self._smtp_kwargs = {
            "data_size_limit": max_bytes,
            "hostname": hostname,
            "tls_context": tls_context,
            "require_starttls": require_tls and tls_context is not None,
            "auth_required": auth is not None and auth_required,
            "auth_require_tls": (tls_context is not None) if auth_require_tls is None else auth_require_tls,
            "authenticator": make_authenticator(auth) if auth is not None else None,
            "enable_SMTPUTF8": True,
            "timeout": timeout,
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    def _factory(self) -> SMTP:
        return JournalSMTP(self.handler, limiter=self.limiter, **self._smtp_kwargs)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(self._factory, host=self.host, port=self.port)
        except OSError as exc:
            raise ReceiverStartFailed(self.host, self.port, exc.strerror or str(exc))
        self.port = int(self._server.sockets[0].getsockname()[1])

    # -- in-process --------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Listen in a background thread; returns once the socket is bound (port=0 allowed)."""
        self.spool.recover()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="kustos-smtpd", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise ReceiverStartFailed(self.host, self.port, "timed out")
        if failure:
            raise failure[0]

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening and end the thread; in-flight sessions are closed."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            # End open sessions: a message whose 250 was not sent yet is retried by its
            # sender (at worst spooled twice, never lost).
            current = asyncio.current_task()
            sessions = [task for task in asyncio.all_tasks() if task is not current]
            for task in sessions:
                task.cancel()
            await asyncio.gather(*sessions, return_exceptions=True)
            if self._server is not None:
                await self._server.wait_closed()
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(timeout)
        self._loop = self._thread = self._server = None

    # -- standalone --------------------------------------------------------------

    def serve_forever(self, on_ready: Callable[[int], None] | None = None) -> None:
        """Run in the calling thread until SIGTERM or SIGINT."""
        self.spool.recover()
        asyncio.run(self._serve(on_ready))

    async def _serve(self, on_ready: Callable[[int], None] | None) -> None:
        await self._listen()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if on_ready is not None:
            on_ready(self.port)
        await stop.wait()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
