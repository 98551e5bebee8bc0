"""The daily evidence check raises ``evidence.renewal_due`` for the customer's partner: a route sends
it to the partner's addresses (the operators' own warning mail stays); without a route the partner
hears nothing new (the operators are warned as before)."""

from __future__ import annotations

import pytest

from kustos.archive.services import evidence_renewal
from kustos.notify.services import routes
from tests import factories
from tests.integration.compliance.evidence_world import make_world
from tests.integration.compliance.openssl_tsa import OPENSSL, make_pki, serve

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(OPENSSL is None, reason="openssl binary not installed")]


def test_evidence_renewal_due_reaches_the_partner_route(tmp_path, settings, mailoutbox):
    operator = factories.user("ops@kustos.example", "operator")
    with serve(make_pki(tmp_path / "tsa", tsa_days=30, name="Short TSA")) as tsa:
        world = make_world(tmp_path, settings, tsa)
        world.seal()
        partner = world.customer.partner
        factories.user("admin@beweis-partner.example", "partner_admin", partner=partner)

        evidence_renewal.daily_check()
        assert [m.to for m in mailoutbox] == [[operator.email]]  # no route: the operators only, as before

        routes.add(partner, event_type="evidence.renewal_due", channel="email",
                   addresses="archiv@beweis-partner.example", actor="test")
        mailoutbox.clear()
        evidence_renewal.daily_check()
        assert sorted(tuple(m.to) for m in mailoutbox) == [("archiv@beweis-partner.example",), (operator.email,)]
        routed = next(m for m in mailoutbox if m.to == ["archiv@beweis-partner.example"])
        assert "evidence renewal due for Beweis Kunde" in routed.subject and "days_left:" in routed.body
