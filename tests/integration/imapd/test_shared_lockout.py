"""Failed IMAP logins are counted in the database, shared by every server process and the dashboard:
guesses spread over two ``kustos imapd`` instances (two ports) or over IMAP and the dashboard lock
the (account, address) pair everywhere; an app-password guess counts too."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator

import pytest
from axes.models import AccessAttempt
from django.test import Client

from kustos.imapd import service
from kustos.imapd.adapter import ArchiveAuthenticator
from kustos.imapd.limits import Limits
from kustos.imapd.lockout import SharedThrottle
from kustos.imapd.server import IMAPServer
from tests.integration.imapd.conftest import ALICE, BOB, PASSWORD, World


def _start() -> IMAPServer:
    limits = Limits(failure_delay=0.0, login_timeout=30)
    return IMAPServer(ArchiveAuthenticator(), host="127.0.0.1", port=0, limits=limits,
                      throttle=SharedThrottle(limits)).start_in_thread()


@pytest.fixture
def two_servers(world: World) -> Iterator[tuple[IMAPServer, IMAPServer]]:
    first, second = _start(), _start()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def _login(server: IMAPServer, user: str, password: str) -> str:
    """"OK" or the server's NO text."""
    imap = imaplib.IMAP4("127.0.0.1", server.port, timeout=30)
    try:
        imap.login(user, password)
    except imaplib.IMAP4.error as exc:
        return str(exc)
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return "OK"


def test_failures_spread_over_two_servers_lock_the_pair_on_both(two_servers, world: World, settings):
    first, second = two_servers
    assert first.port != second.port
    guesses = ["wrong-password-1", "kap_" + "x" * 32, "wrong-password-2", "kap_" + "y" * 32]  # app passwords too
    for i in range(settings.AXES_FAILURE_LIMIT):
        server = (first, second)[i % 2]
        assert "AUTHENTICATIONFAILED" in _login(server, ALICE, guesses[i % len(guesses)])
    # Neither process alone saw five failures; together they did: the right password is refused on both.
    for server in (first, second):
        answer = _login(server, ALICE, PASSWORD)
        assert "UNAVAILABLE" in answer and "too many failed logins" in answer
    # The pair is locked, not the address: another account from the same address still logs in.
    assert _login(second, BOB, PASSWORD) == "OK"
    # The records are the dashboard's: the same lockout refuses alice's right password there (429).
    assert sum(AccessAttempt.objects.filter(username=ALICE).values_list("failures_since_start", flat=True)) \
        >= settings.AXES_FAILURE_LIMIT
    resp = Client().post("/login/", {"email": ALICE, "password": PASSWORD})
    assert resp.status_code == 429 and "_auth_user_id" not in resp.client.session


def test_dashboard_failures_lock_imap(two_servers, world: World, settings):
    first, second = two_servers
    web = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert web.post("/login/", {"email": ALICE, "password": "wrong-password-1"}).status_code == 200
    # Four failures on the dashboard: one more guess over IMAP (the name in any case) locks the pair
    # on every channel.
    assert "AUTHENTICATIONFAILED" in _login(first, ALICE.upper(), "wrong-password-2")
    assert "UNAVAILABLE" in _login(second, ALICE, PASSWORD)
    assert web.post("/login/", {"email": ALICE, "password": PASSWORD}).status_code == 429


def test_a_login_clears_the_failures_on_every_server(two_servers, world: World, settings):
    first, second = two_servers
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert "AUTHENTICATIONFAILED" in _login((first, second)[i % 2], ALICE, "wrong-password-1")
    assert _login(second, f"{ALICE}#{world.customer.id}", PASSWORD) == "OK"
    assert not AccessAttempt.objects.filter(username=ALICE).exists()
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert "AUTHENTICATIONFAILED" in _login((first, second)[i % 2], ALICE, "wrong-password-2")
    assert _login(first, ALICE, PASSWORD) == "OK"


def test_the_servers_kustos_runs_share_the_lockout(world: World, settings):
    server = service.build(settings.KUSTOS, service.Options(host="127.0.0.1", port=0))
    try:
        assert isinstance(server.throttle, SharedThrottle)
    finally:
        server.executor.shutdown(wait=False)
