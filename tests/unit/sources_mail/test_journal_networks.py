"""Client IPs, network lists and the connection limiter of the journaling receiver."""

from __future__ import annotations

import pytest

from kustos.sources.journal_report import header_participants, looks_like_journal_report
from kustos.sources.smtp import BadNetwork, ConnectionLimiter, ip_in, normalize_networks, peer_ip
from tests.unit.sources_mail.journal_samples import ORIGINAL, build_report


@pytest.mark.parametrize(("peer", "ip"), [
    (("127.0.0.1", 5000), "127.0.0.1"),
    (("::ffff:192.0.2.7", 5000, 0, 0), "192.0.2.7"),  # IPv4-mapped: given as IPv4
    (("2001:db8::1", 25, 0, 0), "2001:db8::1"),
    ("198.51.100.3:4711", "198.51.100.3"),  # the spool's "host:port" text
    ("::1:2525", "::1"),
    ("garbage", ""),
    (None, ""),
])
def test_peer_ip(peer, ip):
    assert peer_ip(peer) == ip


def test_networks():
    assert normalize_networks(["10.1.2.3/8", " 192.0.2.7 ", "", "10.0.0.0/8"]) == ["10.0.0.0/8", "192.0.2.7/32"]
    with pytest.raises(BadNetwork, match="not an IP address or network \\(CIDR\\): 'contoso.com'"):
        normalize_networks(["contoso.com"])
    assert ip_in("40.93.1.1", ["40.92.0.0/15"]) and not ip_in("40.94.0.1", ["40.92.0.0/15"])
    assert not ip_in("", ["0.0.0.0/0"])  # an unknown client IP is never trusted


def test_connection_limiter():
    limiter = ConnectionLimiter(per_client=2, total=3)
    assert limiter.acquire("192.0.2.1") is None and limiter.acquire("192.0.2.1") is None
    assert limiter.acquire("192.0.2.1") == "421 4.7.0 Too many connections from your host [192.0.2.1], try again later"
    assert limiter.acquire("192.0.2.2") is None
    assert limiter.acquire("192.0.2.3") == "421 4.7.0 Too many connections to this server, try again later"
    limiter.release("192.0.2.1")
    assert limiter.acquire("192.0.2.3") is None and limiter.open_connections() == 3


def test_report_marker_and_header_participants():
    assert looks_like_journal_report(build_report()) and not looks_like_journal_report(ORIGINAL)
    people = header_participants(ORIGINAL)
    assert people.senders == ["alice@contoso.com"] and people.recipients == ["bob@contoso.com", "sales@contoso.com"]
    assert header_participants(b"no header at all").recipients == []
