"""Logins (password, app password, revoked app password, wrong password, two-factor users) and the
folder tree each user sees: exactly the mailboxes the visibility filter allows."""

from __future__ import annotations

import imaplib
import re

import pytest
from django.utils import timezone

from kustos.accounts.services import app_passwords
from kustos.audit.models import AuditEvent
from kustos.tenants.models import SelfService
from tests import factories
from tests.integration.imapd.conftest import ALICE, BOB, World


def listed(imap: imaplib.IMAP4) -> dict[str, str]:
    typ, data = imap.list('""', "*")
    assert typ == "OK"
    out = {}
    for line in [d for d in data if d is not None]:
        m = re.match(rb'\((?P<flags>[^)]*)\) "/" (?P<name>.+)$', line)
        assert m, line
        name = m.group("name").decode()
        out[name.strip('"')] = m.group("flags").decode()
    return out


def test_password_login_and_end_user_tree(world: World):
    imap = world.login(ALICE)
    names = listed(imap)
    assert set(names) == {"INBOX", "Sent", "Projekte", "Projekte/&ANw-bersicht"}
    assert "\\Noselect" in names["Projekte"] and "\\HasChildren" in names["Projekte"]
    assert names["INBOX"] == "\\HasNoChildren"
    assert BOB not in " ".join(names) and "Vertraulich" not in " ".join(names)
    imap.logout()
    ev = AuditEvent.objects.filter(action="imap.login", actor=ALICE).latest("seq")
    assert ev.outcome == "ok" and ev.detail["via"] == "password" and ev.ip == "127.0.0.1"


def test_wrong_password_is_refused_and_audited(world: World):
    imap = world.connect()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap.login(ALICE, "wrong-password")
    assert AuditEvent.objects.filter(action="imap.login", outcome="denied", actor=ALICE).count() == 1
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap.login("nobody@kunde.example", "x")
    imap.shutdown()


def test_app_password_login_and_revocation(world: World):
    row, secret = app_passwords.create(world.alice, "Thunderbird")
    imap = world.login(ALICE, secret)
    assert imap.select("INBOX", readonly=True)[0] == "OK"
    imap.logout()
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert AuditEvent.objects.filter(action="imap.login", actor=ALICE).latest("seq").detail == {
        "via": "app_password", "app_password": row.id}
    app_passwords.revoke(world.alice, row.id)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        world.login(ALICE, secret)
    # Another user's app password does not open alice's archive.
    _, bobs = app_passwords.create(world.bob, "phone")
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        world.login(ALICE, bobs)


def test_self_service_switch_off_refuses_imap_for_end_users(world: World):
    _, secret = app_passwords.create(world.alice, "Thunderbird")
    SelfService.objects.create(customer=world.customer, imap=False)
    for password in (secret, factories.PASSWORD):
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            world.login(ALICE, password)
    # The customer admin is not an end user: the switch does not limit them.
    world.login(world.admin.email).logout()


def test_two_factor_user_needs_an_app_password(world: World):
    tech = factories.user("tech@partner.example", "partner_tech", partner=world.customer.partner, totp=True)
    with pytest.raises(imaplib.IMAP4.error, match="app password"):
        world.login(tech.email)
    _, secret = app_passwords.create(tech, "mbsync")
    imap = world.login(tech.email, secret)
    names = listed(imap)
    assert f"{ALICE}/INBOX" in names and f"{BOB}/Vertraulich" in names
    imap.logout()


def test_customer_admin_sees_every_mailbox_as_top_level(world: World):
    imap = world.login(world.admin.email)
    names = listed(imap)
    assert set(names) == {ALICE, f"{ALICE}/INBOX", f"{ALICE}/Sent", f"{ALICE}/Projekte",
                          f"{ALICE}/Projekte/&ANw-bersicht", BOB, f"{BOB}/INBOX", f"{BOB}/Vertraulich"}
    assert "\\Noselect" in names[ALICE]
    imap.logout()


def test_end_user_cannot_select_another_users_mailbox(world: World):
    imap = world.login(ALICE)
    for name in (f"{BOB}/INBOX", f"{BOB}/Vertraulich", "Vertraulich", BOB, "../" + BOB):
        typ, data = imap.select(name, readonly=True)
        assert typ == "NO" and b"NONEXISTENT" in data[0], name
        typ, data = imap.status(name, "(MESSAGES)")
        assert typ == "NO", name
    typ, data = imap.list('""', f"{BOB}*")
    assert data == [None]
    imap.logout()


def test_auditor_sees_only_the_grant(world: World):
    imap = world.login(world.auditor.email)
    names = listed(imap)
    assert set(names) == {ALICE, f"{ALICE}/INBOX", f"{ALICE}/Sent", f"{ALICE}/Projekte",
                          f"{ALICE}/Projekte/&ANw-bersicht"}
    typ, data = imap.select(f"{ALICE}/INBOX", readonly=True)
    assert typ == "OK"
    # Tax-relevant mail of alice's from January to June 2024: "Rechnung Januar" (Jan) and
    # "Lieferschein Februar" (Mar); "Quarterly report" is not tax-relevant.
    assert int(data[0]) == 2
    typ, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = sorted(part[1].decode().strip() for part in data if isinstance(part, tuple))
    assert subjects == ["Subject: Lieferschein Februar", "Subject: Rechnung Januar"]
    imap.logout()


def test_login_before_tls_is_refused_off_loopback(world: World):
    # The fixture's server sees clients on 127.0.0.1 (loopback): LOGIN works. The refusal for other
    # addresses is the session's decision, tested on the protocol level in test_protocol.py.
    imap = world.connect()
    assert "LOGINDISABLED" not in imap.capabilities
    imap.shutdown()


def test_partner_staff_choose_one_customer_at_login(world: World):
    other = factories.customer(world.customer.partner, "Zweiter Kunde")
    tech = factories.user("tech2@partner.example", "partner_tech", partner=world.customer.partner)
    _, secret = app_passwords.create(tech, "mbsync")  # partner staff have two-factor sign-in: app password
    with pytest.raises(imaplib.IMAP4.error, match="EMAIL#CUSTOMER-ID"):
        world.login(tech.email, secret)
    imap = world.login(f"{tech.email}#{world.customer.id}", secret)
    assert f"{ALICE}/INBOX" in listed(imap)
    imap.logout()
    imap = world.login(f"{tech.email}#{other.id}", secret)
    assert listed(imap) == {}  # the other customer has no archived mail
    imap.logout()
    foreign = factories.customer(factories.partner("Fremder Partner"), "Fremd")
    with pytest.raises(imaplib.IMAP4.error, match="no archive access"):
        world.login(f"{tech.email}#{foreign.id}", secret)


def test_access_ends_mid_session_when_the_grant_is_revoked(world: World):
    imap = world.login(world.auditor.email)
    assert imap.select(f"{ALICE}/INBOX", readonly=True)[0] == "OK"
    type(world.grant).objects.filter(id=world.grant.id).update(revoked_at=timezone.now())
    typ, data = imap.select(f"{ALICE}/INBOX", readonly=True)
    assert typ == "NO" and b"access to this archive has ended" in data[0]
    imap.logout()


def test_revoked_app_password_ends_the_session_at_the_next_select(world: World):
    row, secret = app_passwords.create(world.alice, "phone")
    imap = world.login(ALICE, secret)
    assert imap.select("INBOX", readonly=True)[0] == "OK"
    app_passwords.revoke(world.alice, row.id)
    typ, data = imap.select("Sent", readonly=True)
    assert typ == "NO" and b"app password was revoked" in data[0]
    imap.logout()
