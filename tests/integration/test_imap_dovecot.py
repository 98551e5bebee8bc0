"""ImapConnector against a real, private Dovecot with Maildir mailboxes from the corpus."""

from __future__ import annotations

import hashlib
import itertools
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imapclient import IMAPClient

from kustos.sources.base import AuthenticationFailed, Connector, HostUnreachable, Item, Scope, TLSFailure
from kustos.sources.egress import EgressPolicy
from kustos.sources.imap import ImapConnector
from tests.contract.connector_contract import ConnectorContract, ContractSource, drain
from tests.servers.dovecot import Dovecot, corpus_messages

pytestmark = [pytest.mark.dovecot, pytest.mark.corpus]

# Raw Maildir++ folder name → archive path and number of corpus messages in it.
LAYOUT = {"INBOX": ("INBOX", 10), "Sent": ("Sent", 8), "Archive.2020": ("Archive/2020", 7),
          "Entw&APw-rfe": ("Entwürfe", 5)}
USER, PASSWORD = "archive", "s3cret-pw"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def mailbox(dovecot: Dovecot, corpus: Path) -> dict[str, list[bytes]]:
    """Deliver 30 corpus messages into four folders; returns raw folder → messages."""
    dovecot.add_user(USER, PASSWORD)
    messages = iter(corpus_messages(corpus, sum(count for _path, count in LAYOUT.values())))
    delivered: dict[str, list[bytes]] = {}
    for folder, (_path, count) in LAYOUT.items():
        delivered[folder] = [next(messages) for _ in range(count)]
        for data in delivered[folder]:
            dovecot.deliver(USER, folder, data)
    return delivered


LOOPBACK_ONLY = EgressPolicy.from_values(False, ["127.0.0.1/32"])  # the server under test, nothing else


def connector(dovecot: Dovecot, **kwargs: object) -> ImapConnector:
    options: dict[str, object] = {"host": "127.0.0.1", "port": dovecot.imap_port, "security": "none",
                                  "username": USER, "password": PASSWORD, "timeout": 10, "egress": LOOPBACK_ONLY}
    options.update(kwargs)
    return ImapConnector(**options)  # type: ignore[arg-type]


def fetch_all(conn: ImapConnector, scope: Scope, cursor: dict | None = None) -> tuple[list[Item], dict | None, bool]:
    result = drain(conn, scope, cursor)
    return result.items, result.cursor, result.reset


def scopes_by_path(conn: ImapConnector) -> dict[str, Scope]:
    return {scope.name: scope for scope in conn.scopes()}


def test_connector_satisfies_protocol(dovecot: Dovecot) -> None:
    assert isinstance(connector(dovecot), Connector)


def test_archives_all_folders_byte_exact_without_setting_seen(dovecot: Dovecot, mailbox: dict) -> None:
    conn = connector(dovecot, batch_size=4)
    conn.check()
    scopes = scopes_by_path(conn)
    # "Archive" exists only as a parent (\Noselect / \NonExistent) and must not be a scope.
    assert set(scopes) == {path for path, _count in LAYOUT.values()}
    for folder, (path, count) in LAYOUT.items():
        items, cursor, reset = fetch_all(conn, scopes[path])
        assert not reset and cursor is not None
        assert [item.data for item in items] == mailbox[folder]  # same bytes, delivery order
        assert {item.folder for item in items} == {path}
        assert len({item.source_id for item in items}) == count
    with IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False) as client:
        client.login(USER, PASSWORD)
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
        assert flags and all(b"\\Seen" not in value for value in flags.values())


def test_incremental_fetch_returns_only_new_mail(dovecot: Dovecot, mailbox: dict, corpus: Path) -> None:
    conn = connector(dovecot)
    scopes = scopes_by_path(conn)
    _items, inbox_cursor, _ = fetch_all(conn, scopes["INBOX"])
    _items, sent_cursor, _ = fetch_all(conn, scopes["Sent"])
    assert inbox_cursor is not None and inbox_cursor["modseq"] is not None  # Dovecot offers CONDSTORE
    nothing, same_cursor, _ = fetch_all(conn, scopes["INBOX"], inbox_cursor)
    assert nothing == [] and same_cursor == inbox_cursor
    extra = corpus_messages(corpus, 34)[30:]
    for data in extra[:3]:
        dovecot.deliver(USER, "INBOX", data)
    dovecot.deliver(USER, "Sent", extra[3], seen=True)
    mailbox["INBOX"].extend(extra[:3])
    mailbox["Sent"].append(extra[3])
    new_inbox, inbox_cursor2, reset = fetch_all(conn, scopes["INBOX"], inbox_cursor)
    assert not reset and [item.data for item in new_inbox] == extra[:3]
    new_sent, _cursor, _ = fetch_all(conn, scopes["Sent"], sent_cursor)
    assert [item.data for item in new_sent] == [extra[3]]
    assert fetch_all(conn, scopes["INBOX"], inbox_cursor2)[0] == []


def test_uidvalidity_change_rescans_with_same_hashes(dovecot: Dovecot, mailbox: dict) -> None:
    conn = connector(dovecot)
    scope = scopes_by_path(conn)["Archive/2020"]
    before, cursor, _ = fetch_all(conn, scope)
    assert cursor is not None
    dovecot.reset_uidvalidity(USER, "Archive.2020")
    after, new_cursor, reset = fetch_all(conn, scope, cursor)
    assert reset
    assert new_cursor is not None and new_cursor["uidvalidity"] != cursor["uidvalidity"]
    assert sorted(sha(item.data) for item in after) == sorted(sha(item.data) for item in before)
    assert sorted(sha(item.data) for item in after) == sorted(sha(data) for data in mailbox["Archive.2020"])
    assert fetch_all(conn, scope, new_cursor)[0] == []


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_and_starttls_fetch_the_same_bytes(dovecot: Dovecot, mailbox: dict, security: str) -> None:
    port = dovecot.imaps_port if security == "tls" else dovecot.imap_port
    conn = connector(dovecot, port=port, security=security, ssl_context=dovecot.certs.client_context())
    items, _cursor, _ = fetch_all(conn, scopes_by_path(conn)["Entwürfe"])
    assert [item.data for item in items] == mailbox["Entw&APw-rfe"]


def test_xoauth2_login(dovecot: Dovecot, mailbox: dict) -> None:
    # Dovecot checks an XOAUTH2 bearer token against the passdb like a password.
    dovecot.add_user("oauth-user", "ya29.token-value")
    conn = connector(dovecot, username="oauth-user", password=None, oauth2_token="ya29.token-value")
    conn.check()
    with pytest.raises(AuthenticationFailed, match="wrong OAuth2 token"):
        connector(dovecot, username="oauth-user", password=None, oauth2_token="expired").check()


def test_include_and_exclude_globs(dovecot: Dovecot, mailbox: dict) -> None:
    conn = connector(dovecot, include=["inbox", "Archive/*", "Entw*"], exclude=["*/2020"])
    assert {scope.name for scope in conn.scopes()} == {"INBOX", "Entwürfe"}


def test_error_messages_are_clear(dovecot: Dovecot, mailbox: dict) -> None:
    with pytest.raises(AuthenticationFailed, match="wrong username or password") as wrong:
        connector(dovecot, password="wrong").check()
    assert "wrong" not in str(wrong.value).replace("wrong username", "")  # no password echoed
    with pytest.raises(TLSFailure, match="certificate .* not accepted"):
        connector(dovecot, port=dovecot.imaps_port, security="tls", ssl_context=ssl.create_default_context()).check()
    with pytest.raises(TLSFailure, match="does this port speak TLS"):
        connector(dovecot, security="tls").check()
    with pytest.raises(HostUnreachable, match="unknown host"):
        connector(dovecot, host="no-such-host.invalid").check()
    with pytest.raises(HostUnreachable, match="refused"):
        connector(dovecot, port=1).check()


def test_expunge_only_verified_messages_and_report_deletions(dovecot: Dovecot, corpus: Path) -> None:
    folder = "Expunge"
    messages = corpus_messages(corpus, 40)[34:40]
    dovecot.add_user(USER, PASSWORD)
    for data in messages:
        dovecot.deliver(USER, folder, data)
    conn = connector(dovecot)
    scope = scopes_by_path(conn)[folder]
    items, cursor, _ = fetch_all(conn, scope)
    verified = [item.source_id for item in items[:4]]
    future = datetime.now(UTC) + timedelta(days=1)
    assert conn.expunge_older_than(folder, verified, days=30) == []  # too young: nothing deleted
    assert sorted(conn.expunge_older_than(folder, verified, days=0, now=future)) == sorted(verified)
    delta = drain(conn, scope, cursor)
    assert delta.items == [] and sorted(item.source_id for item in delta.deletions) == sorted(verified)
    remaining, _cursor, _ = fetch_all(conn, scope)
    assert [item.data for item in remaining] == messages[4:]


class DovecotImapSource:
    """Contract adapter: each instance works in its own fresh folder."""

    _numbers = itertools.count()

    def __init__(self, dovecot: Dovecot, messages: list[bytes]) -> None:
        self.dovecot = dovecot
        self.folder = f"Contract{next(self._numbers)}"
        self.messages = iter(messages)
        dovecot.add_user(USER, PASSWORD)
        dovecot.maildir(USER, self.folder)

    def connector(self) -> ImapConnector:
        return connector(self.dovecot, include=[self.folder], batch_size=2)

    def scope(self) -> Scope:
        return Scope(id=self.folder, kind="folder", name=self.folder)

    def create(self, count: int) -> list[bytes]:
        created = [next(self.messages) for _ in range(count)]
        for data in created:
            self.dovecot.deliver(USER, self.folder, data)
        return created

    def delete(self, item: Item) -> None:
        with IMAPClient("127.0.0.1", port=self.dovecot.imap_port, ssl=False) as client:
            client.login(USER, PASSWORD)
            client.select_folder(self.folder)
            client.delete_messages([int(item.meta["uid"])])
            client.expunge()

    def invalidate_cursor(self) -> None:
        self.dovecot.reset_uidvalidity(USER, self.folder)

    def throttle(self, requests: int, retry_after: float) -> None:
        raise NotImplementedError("IMAP has no throttling response")

    def throttle_obeyed(self) -> bool:
        return True


class TestImapContract(ConnectorContract):
    supports_throttling = False

    @pytest.fixture
    def contract_source(self, dovecot: Dovecot, corpus: Path) -> ContractSource:
        return DovecotImapSource(dovecot, corpus_messages(corpus, 60)[44:])
