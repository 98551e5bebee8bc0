"""aiosmtpd handler of the journaling receiver: policy checks and durable spooling.

``250`` after DATA is sent only when :meth:`Spool.put` returned, i.e. raw bytes and
envelope are fsync'ed and renamed into the spool. A spool failure answers ``451``
so the sending MTA keeps the message and retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from kustos.sources.smtp.net import Network, ip_in, parse_networks, peer_ip
from kustos.sources.smtp.spool import Envelope as SpoolEnvelope
from kustos.sources.smtp.spool import Spool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JournalTarget:
    """A journaling address as the resolver sees it: its customer and the client networks
    allowed to deliver to it (empty = any client the receiver accepts)."""

    customer: str
    allowed_networks: tuple[str, ...] = ()


RecipientResolver = Callable[[str], "str | JournalTarget | None"]
Authenticator = Callable[[str, str], bool]

__all__ = ["JournalHandler", "JournalTarget", "Network", "parse_networks"]


class JournalHandler:
    """Accepts journal mail for known journaling addresses into a :class:`Spool`."""

    def __init__(
        self,
        spool: Spool,
        resolve_recipient: RecipientResolver,
        allowed_networks: list[Network] | None = None,
    ) -> None:
        self.spool = spool
        self.resolve_recipient = resolve_recipient
        self.allowed_networks = allowed_networks
        # Resolvers that say ``blocking = False`` (a static map) run on the event loop.
        self._resolver_blocks = bool(getattr(resolve_recipient, "blocking", True))

    def peer_allowed(self, peer: Any) -> bool:
        if self.allowed_networks is None:
            return True
        return ip_in(peer_ip(peer), self.allowed_networks)

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        if not getattr(server, "offers_auth", True):
            responses = [line for line in responses if not line.startswith("250-AUTH")]
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        if not self.peer_allowed(session.peer):
            return "550 5.7.1 Client host not allowed to send journal mail"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            customer = await self._resolve(session, address)
        except Exception:  # noqa: BLE001 - a broken lookup must not drop the connection
            log.exception("journal recipient lookup failed")
            return "451 4.3.0 Recipient lookup failed, try again later"
        if customer is None:
            return f"550 5.1.1 <{address}>: Recipient address rejected: not a journaling address"
        if isinstance(customer, JournalTarget):
            allowed = customer.allowed_networks
            customer = customer.customer
            client = peer_ip(session.peer)
            if allowed and not ip_in(client, allowed):
                return (f"550 5.7.1 <{address}>: Recipient address rejected: client host [{client}] "
                        "is not allowed to deliver to this journaling address")
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        customers: dict[str, str] = getattr(envelope, "kustos_customers", {})
        customers[address] = customer
        envelope.kustos_customers = customers  # type: ignore[attr-defined]
        return "250 2.1.5 OK"

    async def _resolve(self, session: Session, address: str) -> str | JournalTarget | None:
        if not self._resolver_blocks:
            return self.resolve_recipient(address)
        # A journaling connection names the same address in every transaction: its answer
        # is reused on that connection for RESOLVE_TTL seconds (a new connection asks again),
        # which spares a database round trip per message.
        cache: dict[str, tuple[float, str | JournalTarget | None]] | None = getattr(session, "kustos_rcpt_cache", None)
        if cache is None:
            cache = session.kustos_rcpt_cache = {}  # type: ignore[attr-defined]
        loop = asyncio.get_running_loop()
        key = address.lower()
        hit = cache.get(key)
        if hit is not None and hit[0] > loop.time():
            return hit[1]
        # The resolver may block (database lookup) and may refuse to run inside an
        # event loop (Django's ORM does): run it in a worker thread.
        found = await loop.run_in_executor(None, self.resolve_recipient, address)
        if len(cache) >= RESOLVE_CACHE_SIZE:
            cache.clear()
        cache[key] = (loop.time() + RESOLVE_TTL, found)
        return found

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        customers: dict[str, str] = getattr(envelope, "kustos_customers", {})
        by_customer: dict[str, list[str]] = {}
        for rcpt in envelope.rcpt_tos:
            by_customer.setdefault(customers[rcpt], []).append(rcpt)
        received_at = datetime.now(UTC).isoformat()
        peer = session.peer
        peer_text = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        auth_user = session.auth_data.login.decode("utf-8", "replace") \
            if isinstance(session.auth_data, LoginPassword) else ""
        authenticated = bool(session.authenticated)
        client_ip = peer_ip(peer)
        loop = asyncio.get_running_loop()
        try:
            for customer, rcpts in by_customer.items():
                spool_envelope = SpoolEnvelope(
                    mail_from=envelope.mail_from or "", rcpt_tos=rcpts, customer=customer,
                    received_at=received_at, peer=peer_text, helo=session.host_name or "",
                    auth_user=auth_user, tls=session.ssl is not None,
                    client_ip=client_ip, authenticated=authenticated,
                )
                # Writing to tmp/ is page-cache work done here; fsync and the rename into new/
                # block, so they run off the event loop and other sessions keep flowing.
                pending = self.spool.write(spool_envelope, data)
                await loop.run_in_executor(_SPOOL_THREADS, self.spool.commit, pending)
        except OSError:
            log.exception("spool write failed")
            return "451 4.3.0 Could not store the message, try again later"
        return "250 2.0.0 OK: queued"


# Spool writes wait in fsync, not on the CPU: enough threads let concurrent sessions
# fsyncs share journal commits instead of queueing behind each other.
RESOLVE_TTL = 5.0  # seconds a connection reuses a journaling address lookup
RESOLVE_CACHE_SIZE = 64  # addresses remembered per connection
_SPOOL_THREADS = ThreadPoolExecutor(max_workers=32, thread_name_prefix="kustos-spool")
_AUTH_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kustos-smtp-auth")
AUTH_TIMEOUT = 30.0


def make_authenticator(check: Authenticator) -> Callable[..., AuthResult]:
    """Adapt ``check(username, password) -> bool`` to aiosmtpd's authenticator API.

    aiosmtpd calls authenticators synchronously on the event loop; ``check`` runs in
    a worker thread so it may use APIs that refuse to run inside a loop (Django ORM).
    """

    def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        try:
            ok = bool(_AUTH_THREADS.submit(check, login, password).result(AUTH_TIMEOUT))
        except Exception:  # noqa: BLE001 - treat a failing credential store as a failed login
            log.exception("SMTP AUTH check failed")
            ok = False
        # handled=False: aiosmtpd then answers 235 or 535 itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticator
