"""Item 11: failed sign-ins lock a (username, address) pair, never the account for everyone:
an attacker who knows only the e-mail cannot lock the owner out from another address."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

IP_A, IP_B = "203.0.113.7", "198.51.100.23"


def test_twenty_failures_from_one_address_do_not_lock_the_owner_elsewhere():
    partner = factories.partner("Lock Partner")
    victim = factories.user("victim@lock.example", "partner_admin", partner=partner, totp=True)
    attacker = Client(REMOTE_ADDR=IP_A)
    for _ in range(20):
        attacker.post("/login/", {"email": victim.email, "password": "guessing-wrong-1"})
    locked = attacker.post("/login/", {"email": victim.email, "password": factories.PASSWORD})
    assert locked.status_code == 429  # the attacker's address is locked for this account
    owner = Client(REMOTE_ADDR=IP_B)
    resp = owner.post("/login/", {"email": victim.email, "password": factories.PASSWORD})
    assert resp.status_code == 302 and resp["Location"].startswith("/login/otp/")
    resp = owner.post("/login/otp/", {"token": factories.totp_token(victim)})
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert owner.get("/customers/").status_code == 200


def test_wrong_codes_from_one_address_do_not_lock_the_second_factor_elsewhere():
    """Someone holding the password (leaked) but not the phone must not be able to throttle the
    owner's authenticator: code failures count per (account, address), and after a few of them
    that address must start over with the password (which the per-address lockout limits)."""
    partner = factories.partner("Code Partner")
    victim = factories.user("codes@lock.example", "partner_admin", partner=partner, totp=True)
    attacker = Client(REMOTE_ADDR=IP_A)
    signed_out = False
    for _ in range(20):
        resp = attacker.post("/login/", {"email": victim.email, "password": factories.PASSWORD})
        if resp.status_code == 429:
            break
        for _ in range(10):
            resp = attacker.post("/login/otp/", {"token": "000000"})
            if resp.status_code == 429 or (resp.status_code == 302 and resp["Location"].startswith("/login/")):
                signed_out = True  # too many wrong codes: back to the password step, or locked
                break
            assert resp.status_code == 200
    assert signed_out
    assert resp.status_code == 429  # within 20 rounds the pair (account, address A) is locked
    assert attacker.get("/customers/").status_code == 302
    assert attacker.post("/login/", {"email": victim.email, "password": factories.PASSWORD}).status_code == 429
    owner = Client(REMOTE_ADDR=IP_B)
    resp = owner.post("/login/", {"email": victim.email, "password": factories.PASSWORD})
    assert resp.status_code == 302 and resp["Location"].startswith("/login/otp/")
    resp = owner.post("/login/otp/", {"token": factories.totp_token(victim)})
    assert resp.status_code == 302 and resp["Location"] == "/", resp.content[:300]
    assert owner.get("/customers/").status_code == 200
