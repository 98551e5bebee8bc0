"""The receiver's SMTP session: connection limits, idle timeout and AUTH only when configured.

* Before the greeting the client's IP is counted against :class:`ConnectionLimiter`; over
  the limit the client gets ``421`` and the connection is closed.
* The timeout is an idle timeout: it restarts on every command and on every chunk of
  data received, so a large message on a slow line is not cut off, while a connection
  that sends nothing is closed after ``timeout`` seconds. Restarting it only moves a
  deadline; the one timer of a connection re-arms itself when it fires early (aiosmtpd
  cancels and creates a timer per command and per chunk, a measurable share of the CPU).
* Without an authenticator AUTH is neither announced in EHLO nor accepted.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.smtp import syntax

from kustos.sources.smtp.fastdata import FastDataSMTP
from kustos.sources.smtp.limits import ConnectionLimiter
from kustos.sources.smtp.net import peer_ip

READ_SIZE = 64 * 1024


class JournalSMTP(FastDataSMTP):
    def __init__(self, handler: Any, *, limiter: ConnectionLimiter | None = None, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._limiter = limiter
        self._counted_ip: str | None = None
        self._refusal = ""
        self._checked = False
        self._idle_deadline = 0.0
        self._timer_pending = False
        self.offers_auth = kwargs.get("authenticator") is not None
        if not self.offers_auth:
            self._auth_methods = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Called again after STARTTLS for the same client: count a connection once.
        if not self._checked:
            self._checked = True
            if self._limiter is not None:
                ip = peer_ip(transport.get_extra_info("peername"))
                refusal = self._limiter.acquire(ip)
                if refusal is None:
                    self._counted_ip = ip
                else:
                    self._refusal = refusal
        # asyncio receives into a fresh 256 KiB buffer per read, which glibc serves with
        # mmap and shrinks with mremap: three syscalls per read. 64 KiB comes from the heap.
        if isinstance(transport, asyncio.Transport) and getattr(transport, "max_size", 0) > READ_SIZE:
            transport.max_size = READ_SIZE  # type: ignore[attr-defined]
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._limiter is not None and self._counted_ip is not None:
            self._limiter.release(self._counted_ip)
            self._counted_ip = None
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._timeout_handle is not None:
            self._reset_timeout()

    def _reset_timeout(self, duration: float | None = None) -> None:
        self._idle_deadline = self.loop.time() + (duration or self._timeout_duration)
        handle = self._timeout_handle
        if handle is not None:
            if self._timer_pending and not handle.cancelled() and handle.when() <= self._idle_deadline:
                return  # fires earlier and re-arms for the new deadline
            handle.cancel()
        self._arm_timer()

    def _arm_timer(self) -> None:
        self._timeout_handle = self.loop.call_at(self._idle_deadline, self._idle_check)
        self._timer_pending = True

    def _idle_check(self) -> None:
        self._timer_pending = False
        if self.loop.time() >= self._idle_deadline:
            self._timeout_cb()
        else:
            self._arm_timer()

    async def _handle_client(self) -> None:
        if self._refusal:
            await self.push(self._refusal)
            if self.transport is not None:
                self.transport.close()
            return
        await super()._handle_client()

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg: str) -> None:
        if not self.offers_auth:
            await self.push("502 5.5.1 AUTH is not available on this server")
            return
        await super().smtp_AUTH(arg)
