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
