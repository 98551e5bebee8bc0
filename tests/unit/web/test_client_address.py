"""The client's address of a request (kustos.web.client_address): X-Forwarded-For counts only
when the direct peer is a trusted proxy, and then only up to the first untrusted hop."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.test import RequestFactory

from kustos.config import ConfigError, load_settings
from kustos.web import client_address
from kustos.web.client_address import LOOPBACK, resolve

PROXIES = ("127.0.0.1", "10.0.0.0/8", "fd00::/8")


def test_the_peer_is_the_client_without_a_header() -> None:
    assert resolve("203.0.113.7", "", PROXIES) == "203.0.113.7"
    assert resolve("127.0.0.1", "", PROXIES) == "127.0.0.1"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    # a client talking to Kustos directly names any address it likes: not taken
    assert resolve("203.0.113.7", "198.51.100.1", PROXIES) == "203.0.113.7"
    assert resolve("203.0.113.7", "127.0.0.1, 10.0.0.1", PROXIES) == "203.0.113.7"
    assert resolve("2001:db8::7", "198.51.100.1", PROXIES) == "2001:db8::7"


def test_no_trusted_proxies_means_the_header_is_never_read() -> None:
    assert resolve("127.0.0.1", "198.51.100.1", ()) == "127.0.0.1"


def test_the_proxy_appended_entry_is_the_client() -> None:
    assert resolve("127.0.0.1", "198.51.100.1", PROXIES) == "198.51.100.1"
    assert resolve("127.0.0.1", " 198.51.100.1 ", LOOPBACK) == "198.51.100.1"


def test_a_spoofed_entry_left_of_the_proxy_entry_is_not_taken() -> None:
    # the client sent "X-Forwarded-For: 10.9.9.9, 1.2.3.4"; nginx appended the address it saw
    assert resolve("127.0.0.1", "10.9.9.9, 1.2.3.4, 198.51.100.1", PROXIES) == "198.51.100.1"
    # a client that claims to be a trusted proxy gains nothing either
    assert resolve("127.0.0.1", "127.0.0.1, 198.51.100.1", PROXIES) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    # client -> CDN edge (untrusted here) -> load balancer 10.0.0.5 -> nginx on loopback -> Kustos
    assert resolve("127.0.0.1", "198.51.100.1, 10.0.0.5", PROXIES) == "198.51.100.1"
    assert resolve("127.0.0.1", "203.0.113.9, 198.51.100.1, 10.1.2.3, 10.0.0.5", PROXIES) == "198.51.100.1"
    # every hop trusted: the farthest one is the client (a machine inside the proxy network)
    assert resolve("127.0.0.1", "10.0.0.8, 10.0.0.5", PROXIES) == "10.0.0.8"


def test_ipv6_peers_entries_and_networks() -> None:
    assert resolve("::1", "2001:db8::42", LOOPBACK) == "2001:db8::42"
    assert resolve("fd00::1", "2001:db8::42, fd12::3", PROXIES) == "2001:db8::42"
    assert resolve("fd00::1", "[2001:db8::42]:51234", PROXIES) == "2001:db8::42"
    assert resolve("::1", "198.51.100.1", LOOPBACK) == "198.51.100.1"
    assert resolve("127.0.0.1", "2001:db8::42", LOOPBACK) == "2001:db8::42"
    # an untrusted IPv6 peer's header is ignored
    assert resolve("2001:db8::99", "2001:db8::42", PROXIES) == "2001:db8::99"


def test_ipv4_mapped_peers_count_as_ipv4() -> None:
    assert resolve("::ffff:127.0.0.1", "198.51.100.1", LOOPBACK) == "198.51.100.1"
    assert resolve("::ffff:203.0.113.7", "198.51.100.1", LOOPBACK) == "203.0.113.7"


def test_ports_on_entries_are_dropped() -> None:
    assert resolve("127.0.0.1", "198.51.100.1:4711", LOOPBACK) == "198.51.100.1"


def test_garbage_written_by_a_trusted_hop_stops_at_that_hop() -> None:
    assert resolve("127.0.0.1", "unknown", LOOPBACK) == "127.0.0.1"
    assert resolve("127.0.0.1", "198.51.100.1, unknown, 10.0.0.5", PROXIES) == "10.0.0.5"
    assert resolve("127.0.0.1", "198.51.100.1,,", PROXIES) == "198.51.100.1"


def test_the_trusted_list_from_the_settings(tmp_path) -> None:
    base = {"KUSTOS_HOME": str(tmp_path)}
    assert client_address.trusted_proxies(load_settings(base)) == ()
    assert client_address.trusted_proxies(load_settings({**base, "KUSTOS_TRUST_PROXY": "1"})) == LOOPBACK
    named = load_settings({**base, "KUSTOS_TRUST_PROXY": "1", "KUSTOS_TRUSTED_PROXIES": "10.0.0.5, fd00::/8"})
    assert named.trusted_proxies == ("10.0.0.5", "fd00::/8")
    assert client_address.trusted_proxies(named) == ("10.0.0.5", "fd00::/8")
    with pytest.raises(ConfigError, match=r"^KUSTOS_TRUSTED_PROXIES: 'proxy\.example' is not an IP address"):
        load_settings({**base, "KUSTOS_TRUSTED_PROXIES": "10.0.0.5,proxy.example"})


def test_requests_and_axes_use_the_one_function(monkeypatch) -> None:
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    proxied = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.1")
    monkeypatch.setattr(settings, "KUSTOS", dataclasses.replace(settings.KUSTOS, trust_proxy=False,
                                                                 proxy_ssl_header="", trusted_proxies=()))
    assert client_address.client_ip(proxied) == "127.0.0.1"  # no proxy configured: the header is ignored
    monkeypatch.setattr(settings, "KUSTOS", dataclasses.replace(settings.KUSTOS, trust_proxy=True))
    assert client_address.client_ip(spoofed) == "203.0.113.7"
    assert client_address.client_ip(proxied) == "198.51.100.1"
    assert get_client_ip_address(proxied) == "198.51.100.1"
    assert get_client_ip_address(spoofed) == "203.0.113.7"


def test_the_example_environment_documents_the_tls_and_proxy_settings(tmp_path) -> None:
    example = Path(__file__).resolve().parents[3] / "deploy" / "kustos.env.example"
    text = example.read_text()
    for name in ("KUSTOS_TLS_CERT", "KUSTOS_TLS_KEY", "KUSTOS_HTTP_PORT", "KUSTOS_TRUST_PROXY",
                 "KUSTOS_TRUSTED_PROXIES", "SIGHUP"):
        assert name in text, name
    values = dict(line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    loaded = load_settings({**values, "KUSTOS_HOME": str(tmp_path), "KUSTOS_PRODUCTION": "0"})
    assert loaded.trust_proxy and client_address.trusted_proxies(loaded) == ("127.0.0.1", "::1")
    assert resolve("::1", "203.0.113.7, 198.51.100.1", client_address.trusted_proxies(loaded)) == "198.51.100.1"
