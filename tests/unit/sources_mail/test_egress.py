"""Egress policy of sources: no connection into the server's own network unless allowed.

Every refusal test runs with the allowance OFF and proves that nothing was connected:
the ``connects`` fixture records every socket connect and fails the test at once on a
non-loopback destination, and loopback listeners count the connections they accepted.
"""

from __future__ import annotations

import http.server
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakecloud.google.keys import make_service_account
from kustos.config import ConfigError, load_settings
from kustos.sources.base import TLSFailure
from kustos.sources.egress import EgressPolicy, EgressRefused, classify, parse_networks
from kustos.sources.gmail import GmailConnector
from kustos.sources.graph import GraphMailConnector
from kustos.sources.http import EgressTransport, HttpClient
from kustos.sources.imap import ImapConnector
from kustos.sources.pop3 import Pop3Connector
from tests.servers.tls import make_self_signed

STRICT = EgressPolicy()  # the default: the allowance is off


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every TCP connect of the test's own thread (the connectors under test connect from it; a thread an
    earlier test of the same worker left behind is not this test's business); a non-loopback destination
    fails the test before any packet."""
    seen: list[tuple] = []
    real = socket.socket.connect
    owner = threading.get_ident()

    def connect(self: socket.socket, address: tuple) -> None:
        if threading.get_ident() != owner:
            return real(self, address)
        seen.append(address)
        if not ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback:
            raise AssertionError(f"the test tried to connect to {address}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


class Listener:
    """A TCP listener on a loopback address that counts accepted connections."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]

    def accepted(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                return count
            conn.close()
            count += 1

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        self._answer()

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self) -> None:
        self.server.hits.append((self.command, self.path, self.headers.get("Host")))  # type: ignore[attr-defined]
        status, headers, body = self.server.route(self.path)  # type: ignore[attr-defined]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class WebServer:
    """A tiny HTTP(S) server on a loopback address; ``route(path) -> (status, headers, body)``."""

    def __init__(self, route, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.httpd = http.server.ThreadingHTTPServer((host, 0), _Handler)
        self.httpd.route = route  # type: ignore[attr-defined]
        self.httpd.hits = []  # type: ignore[attr-defined]
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def hits(self) -> list:
        return self.httpd.hits  # type: ignore[attr-defined]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _json(body: str) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "application/json"}, body.encode()


# --- the rules ----------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "rule"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("febf::1", "link-local"),
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("100.64.0.1", "shared (CGNAT)"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
    ("198.18.0.1", "reserved"), ("192.0.2.1", "reserved"),
    # IPv6 forms that carry an IPv4 address are judged by it
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"), ("::ffff:10.0.0.1", "private"),
    ("::ffff:0:a00:1", "private"), ("64:ff9b::a9fe:a9fe", "link-local"), ("2002:7f00:1::1", "loopback"),
    ("::a00:1", "private"),
    ("8.8.8.8", None), ("1.1.1.1", None), ("2606:4700:4700::1111", None),
])
def test_each_address_class_has_its_rule(address: str, rule: str | None) -> None:
    assert classify(ipaddress.ip_address(address)) == rule


def test_allow_private_networks_opens_private_and_cgnat_only() -> None:
    policy = EgressPolicy(allow_private_networks=True)
    for ok in ("10.0.0.1", "192.168.1.1", "fd00::1", "100.64.0.1", "::ffff:10.0.0.1"):
        policy.check_address(ok)
    for address, rule in (("127.0.0.1", "loopback"), ("169.254.169.254", "link-local"), ("::1", "loopback"),
                          ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast")):
        with pytest.raises(EgressRefused, match=f"{rule} addresses are blocked"):
            policy.check_address(address)


def test_allowed_networks_open_exactly_their_cidrs() -> None:
    policy = EgressPolicy.from_values(False, ["127.0.0.1/32", "10.1.0.0/16"])
    for ok in ("127.0.0.1", "::ffff:127.0.0.1", "10.1.200.3"):
        policy.check_address(ok)
    for refused in ("127.0.0.2", "10.2.0.1", "::1", "169.254.169.254"):
        with pytest.raises(EgressRefused):
            policy.check_address(refused)
    with pytest.raises(ValueError, match="'10.0.0.300/8' is not an IP network"):
        parse_networks(["10.0.0.300/8"])


def test_refusal_names_rule_address_and_the_setting_that_allows_it() -> None:
    with pytest.raises(EgressRefused) as private:
        STRICT.check_destination("10.0.0.1", 993)
    assert str(private.value) == (
        "connection to 10.0.0.1:993 refused: private addresses are blocked for sources (the server operator "
        "can allow it with KUSTOS_SOURCES_ALLOWED_NETWORKS or KUSTOS_SOURCES_ALLOW_PRIVATE_NETWORKS=1)")
    with pytest.raises(EgressRefused) as local:
        STRICT.check_destination("localhost", 993)
    assert str(local.value).startswith("connection to localhost:993 (")
    assert "loopback addresses are blocked" in str(local.value)
    assert "ALLOW_PRIVATE" not in str(local.value)  # loopback needs the explicit CIDR allow-list
    with pytest.raises(EgressRefused, match=r"connection to \[::1\]:443 refused: loopback"):
        STRICT.check_destination("::1", 443)
    STRICT.check_destination("does-not-exist.invalid", 993)  # unresolvable: the connect-time check decides


# --- connect-time refusals of every connector (allowance off) --------------------------------

REFUSED = [("127.0.0.1", "loopback"), ("localhost", "loopback"), ("::1", "loopback"),
           ("10.0.0.1", "private"), ("169.254.169.254", "link-local"), ("::ffff:169.254.169.254", "link-local"),
           ("0.0.0.0", "unspecified"), ("100.100.100.200", "shared")]


@pytest.mark.parametrize(("host", "rule"), REFUSED)
def test_imap_refuses_before_connecting(host: str, rule: str, connects: list, listener: Listener) -> None:
    for security in ("none", "tls"):
        connector = ImapConnector(host=host, port=listener.port, security=security, username="u", password="p",
                                  timeout=2, egress=STRICT)
        with pytest.raises(EgressRefused, match=f"{rule}.* addresses are blocked"):
            connector.check()
    assert connects == [] and listener.accepted() == 0


@pytest.mark.parametrize(("host", "rule"), REFUSED)
def test_pop3_refuses_before_connecting(host: str, rule: str, connects: list, listener: Listener) -> None:
    for security in ("none", "tls", "starttls"):
        connector = Pop3Connector(host=host, port=listener.port, security=security, username="u", password="p",
                                  timeout=2, egress=STRICT)
        with pytest.raises(EgressRefused, match=f"{rule}.* addresses are blocked"):
            connector.check()
    assert connects == [] and listener.accepted() == 0


@pytest.mark.parametrize(("host", "rule"), REFUSED)
def test_graph_refuses_before_connecting(host: str, rule: str, connects: list, listener: Listener) -> None:
    netloc = f"[{host}]" if ":" in host else host
    connector = GraphMailConnector("tenant", "client", "the-client-secret", endpoint=f"http://{netloc}:{listener.port}",
                                   egress=STRICT)
    with pytest.raises(EgressRefused, match=f"{rule}.* addresses are blocked"):
        connector.check()
    assert connects == [] and listener.accepted() == 0


def test_gmail_token_uri_and_endpoint_are_checked(connects: list, listener: Listener) -> None:
    info, _public = make_service_account(f"http://169.254.169.254:{listener.port}")
    connector = GmailConnector({**info, "token_uri": "http://169.254.169.254/token"}, "admin@example.com",
                               egress=STRICT)
    with pytest.raises(EgressRefused, match="link-local addresses are blocked"):
        connector.check()
    connector = GmailConnector(info, "admin@example.com", endpoint=f"http://localhost:{listener.port}", egress=STRICT)
    with pytest.raises(EgressRefused, match="loopback addresses are blocked"):
        connector.check()
    assert connects == [] and listener.accepted() == 0


def test_loopback_is_reachable_only_through_the_allow_list(listener: Listener) -> None:
    allowed = EgressPolicy.from_values(False, ["127.0.0.1/32"])
    sock = allowed.connect("127.0.0.1", listener.port, timeout=2)
    sock.close()
    assert listener.accepted() == 1
    with pytest.raises(EgressRefused):
        EgressPolicy(allow_private_networks=True).connect("127.0.0.1", listener.port, timeout=2)
    assert listener.accepted() == 0


# --- DNS rebinding, TLS names, redirects, next links --------------------------------------------

def test_resolved_once_and_connected_to_the_checked_address(connects: list, listener: Listener) -> None:
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", listener.port))],
                    [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", listener.port))]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list:
        calls.append(host)
        return next(answers)

    policy = EgressPolicy.from_values(False, ["127.0.0.1/32"], resolver=rebinding)
    sock = policy.connect("mail.rebind.test", listener.port, timeout=2)
    sock.close()
    assert calls == ["mail.rebind.test"] and connects == [("127.0.0.1", listener.port)]
    assert listener.accepted() == 1
    with pytest.raises(EgressRefused, match=r"mail.rebind.test:\d+ \(10.0.0.1\) refused: private"):
        policy.connect("mail.rebind.test", listener.port, timeout=2)  # the second answer is checked too
    assert listener.accepted() == 0


def test_mixed_answers_connect_only_to_allowed_addresses(connects: list, listener: Listener) -> None:
    def mixed(host: str, port: int) -> list:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    policy = EgressPolicy.from_values(False, ["127.0.0.1/32"], resolver=mixed)
    policy.connect("mixed.test", listener.port, timeout=2).close()
    assert connects == [("127.0.0.1", listener.port)]


def test_http_uses_the_checked_address_and_keeps_the_name(connects: list) -> None:
    calls: list[str] = []

    def once(host: str, port: int) -> list:
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))] if len(calls) == 1 else \
            [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port))]

    server = WebServer(lambda path: _json('{"ok": true}'))
    try:
        policy = EgressPolicy.from_values(False, ["127.0.0.1/32"], resolver=once)
        with HttpClient(egress=policy) as http:
            assert http.get_json(f"http://api.rebind.test:{server.port}/v1") == {"ok": True}
        assert calls == ["api.rebind.test"]  # no second lookup that could answer differently
        assert server.hits == [("GET", "/v1", f"api.rebind.test:{server.port}")]
        assert connects == [("127.0.0.1", server.port)]
    finally:
        server.close()


def test_tls_verifies_the_host_name_not_the_address(tmp_path: Path) -> None:
    certs = make_self_signed(tmp_path / "tls", name="mail.kustos-test.example")
    seen_sni: list[str | None] = []
    server_context = certs.server_context()
    server_context.sni_callback = lambda sslsock, name, ctx: seen_sni.append(name)
    server = WebServer(lambda path: _json('{"tls": true}'), tls=server_context)

    def resolve(host: str, port: int) -> list:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    try:
        policy = EgressPolicy.from_values(False, ["127.0.0.1/32"], resolver=resolve)
        transport = EgressTransport(policy, verify=certs.client_context())
        with HttpClient(transport=transport) as http:
            assert http.get_json(f"https://mail.kustos-test.example:{server.port}/") == {"tls": True}
        assert seen_sni == ["mail.kustos-test.example"]
        wrong_name = EgressTransport(policy, verify=certs.client_context())
        with HttpClient(transport=wrong_name) as http, pytest.raises(TLSFailure, match="certificate"):
            http.get_json(f"https://other-name.example:{server.port}/")
    finally:
        server.close()


def test_redirect_to_a_not_allowed_address_is_refused(connects: list) -> None:
    target = Listener("127.0.0.2")  # loopback, but outside the allowed 127.0.0.1/32
    server = WebServer(lambda path: (302, {"Location": f"http://127.0.0.2:{target.port}/steal"}, b""))
    try:
        policy = EgressPolicy.from_values(False, ["127.0.0.1/32"])
        with HttpClient(egress=policy, follow_redirects=True) as http, \
                pytest.raises(EgressRefused, match=r"127.0.0.2:\d+ refused: loopback"):
            http.request("GET", f"http://127.0.0.1:{server.port}/start")
        assert [hit[1] for hit in server.hits] == ["/start"]
        assert target.accepted() == 0 and all(host == "127.0.0.1" for host, _port in connects)
    finally:
        server.close()
        target.close()


def test_graph_next_link_into_the_metadata_service_is_refused(connects: list) -> None:
    def graph(path: str) -> tuple[int, dict, bytes]:
        if path.endswith("/oauth2/v2.0/token"):
            return _json('{"access_token": "t0k3n", "expires_in": 3600}')
        return _json('{"value": [], "@odata.nextLink": "http://169.254.169.254/latest/meta-data/"}')

    server = WebServer(graph)
    try:
        url = f"http://127.0.0.1:{server.port}"
        policy = EgressPolicy.from_values(False, ["127.0.0.1/32"])
        connector = GraphMailConnector("tenant", "client", "the-client-secret", endpoint=url, login_endpoint=url,
                                       egress=policy)
        with pytest.raises(EgressRefused, match="169.254.169.254:80 refused: link-local"):
            list(connector.scopes())
        assert {host for host, _port in connects} == {"127.0.0.1"}
    finally:
        server.close()


def test_settings_carry_the_policy_values(tmp_path: Path) -> None:
    settings = load_settings({"KUSTOS_HOME": str(tmp_path), "KUSTOS_SOURCES_ALLOW_PRIVATE_NETWORKS": "1",
                              "KUSTOS_SOURCES_ALLOWED_NETWORKS": "127.0.0.1/32, ::1/128,"})
    assert settings.sources_allow_private_networks is True
    assert settings.sources_allowed_networks == ("127.0.0.1/32", "::1/128")
    default = load_settings({"KUSTOS_HOME": str(tmp_path)})
    assert (default.sources_allow_private_networks, default.sources_allowed_networks) == (False, ())
    with pytest.raises(ConfigError, match="KUSTOS_SOURCES_ALLOWED_NETWORKS: 'intranet' is not an IP network"):
        load_settings({"KUSTOS_HOME": str(tmp_path), "KUSTOS_SOURCES_ALLOWED_NETWORKS": "intranet"})
