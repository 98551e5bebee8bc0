"""Pop3Connector against a real, private Dovecot POP3 server."""

from __future__ import annotations

import itertools
import poplib
import ssl
from pathlib import Path

import pytest

from kustos.sources.base import AuthenticationFailed, Connector, HostUnreachable, Item, Scope, TLSFailure
from kustos.sources.egress import EgressPolicy
from kustos.sources.pop3 import Pop3Connector, decode_seen
from tests.contract.connector_contract import ConnectorContract, ContractSource, drain
from tests.servers.dovecot import Dovecot, corpus_messages

pytestmark = [pytest.mark.dovecot, pytest.mark.corpus]

_users = itertools.count()


def new_user(dovecot: Dovecot) -> tuple[str, str]:
    user = f"pop{next(_users)}"
    dovecot.add_user(user, f"pw-{user}")
    return user, f"pw-{user}"


LOOPBACK_ONLY = EgressPolicy.from_values(False, ["127.0.0.1/32"])  # the server under test, nothing else


def pop3(dovecot: Dovecot, user: str, password: str | None, **kwargs: object) -> Pop3Connector:
    options: dict[str, object] = {"host": "127.0.0.1", "port": dovecot.pop3_port, "security": "none",
                                  "username": user, "password": password, "timeout": 10, "batch_size": 3,
                                  "egress": LOOPBACK_ONLY}
    options.update(kwargs)
    return Pop3Connector(**options)  # type: ignore[arg-type]


def test_uidl_incremental_over_all_security_modes(dovecot: Dovecot, corpus: Path) -> None:
    user, password = new_user(dovecot)
    messages = corpus_messages(corpus, 12)
    for data in messages[:8]:
        dovecot.deliver(user, "INBOX", data)
    modes = [("none", dovecot.pop3_port), ("starttls", dovecot.pop3_port), ("tls", dovecot.pop3s_port)]
    for security, port in modes:
        conn = pop3(dovecot, user, password, security=security, port=port, ssl_context=dovecot.certs.client_context())
        assert isinstance(conn, Connector)
        conn.check()
        (scope,) = conn.scopes()
        first = drain(conn, scope, None)
        assert [item.data for item in first.items] == messages[:8], security
        assert first.batches == 3 and first.cursor is not None
        assert len(decode_seen(first.cursor["seen"])) == 8
    for data in messages[8:]:
        dovecot.deliver(user, "INBOX", data)
    delta = drain(conn, scope, first.cursor)
    assert [item.data for item in delta.items] == messages[8:]
    assert drain(conn, scope, delta.cursor).items == []


def test_delete_archived_then_deletion_markers(dovecot: Dovecot, corpus: Path) -> None:
    user, password = new_user(dovecot)
    messages = corpus_messages(corpus, 16)[12:16]
    for data in messages:
        dovecot.deliver(user, "INBOX", data)
    conn = pop3(dovecot, user, password)
    (scope,) = conn.scopes()
    first = drain(conn, scope, None)
    archived = [item.source_id for item in first.items[:2]]
    assert conn.delete_archived(archived) == archived
    after = drain(conn, scope, first.cursor)
    assert after.items == [] and sorted(item.source_id for item in after.deletions) == sorted(archived)
    assert [item.data for item in drain(conn, scope, None).items] == messages[2:]


def test_xoauth2_login(dovecot: Dovecot) -> None:
    dovecot.add_user("pop-oauth", "ya29.pop-token")  # Dovecot checks the bearer token like a password
    pop3(dovecot, "pop-oauth", None, oauth2_token="ya29.pop-token").check()
    with pytest.raises(AuthenticationFailed, match="wrong OAuth2 token"):
        pop3(dovecot, "pop-oauth", None, oauth2_token="stale").check()


def test_error_messages(dovecot: Dovecot) -> None:
    user, _password = new_user(dovecot)
    with pytest.raises(AuthenticationFailed, match="wrong username or password"):
        pop3(dovecot, user, "nope").check()
    with pytest.raises(TLSFailure, match="certificate"):
        pop3(dovecot, user, "x", security="tls", port=dovecot.pop3s_port, ssl_context=ssl.create_default_context()).check()
    with pytest.raises(HostUnreachable, match="unknown host"):
        pop3(dovecot, user, "x", host="pop.invalid").check()
    with pytest.raises(HostUnreachable, match="refused"):
        pop3(dovecot, user, "x", port=1).check()


class DovecotPop3Source:
    def __init__(self, dovecot: Dovecot, messages: list[bytes]) -> None:
        self.dovecot = dovecot
        self.user, self.password = new_user(dovecot)
        self.messages = iter(messages)

    def connector(self) -> Pop3Connector:
        return pop3(self.dovecot, self.user, self.password)

    def scope(self) -> Scope:
        return Scope(id="INBOX", kind="mailbox", name="INBOX")

    def create(self, count: int) -> list[bytes]:
        created = [next(self.messages) for _ in range(count)]
        for data in created:
            self.dovecot.deliver(self.user, "INBOX", data)
        return created

    def delete(self, item: Item) -> None:
        client = poplib.POP3("127.0.0.1", self.dovecot.pop3_port, timeout=10)
        client.user(self.user)
        client.pass_(self.password)
        for line in client.uidl()[1]:
            number, uidl = line.decode().split()
            if uidl == item.source_id:
                client.dele(int(number))
        client.quit()

    def invalidate_cursor(self) -> None:
        raise NotImplementedError("POP3 has no cursor the server could invalidate")

    def throttle(self, requests: int, retry_after: float) -> None:
        raise NotImplementedError("POP3 has no throttling response")

    def throttle_obeyed(self) -> bool:
        return True


class TestPop3Contract(ConnectorContract):
    supports_reset = False
    supports_throttling = False

    @pytest.fixture
    def contract_source(self, dovecot: Dovecot, corpus: Path) -> ContractSource:
        return DovecotPop3Source(dovecot, corpus_messages(corpus, 40)[16:])
