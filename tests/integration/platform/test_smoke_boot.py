import pytest

from tests import factories


@pytest.mark.django_db
def test_partner_customer_created():
    p = factories.partner()
    c = factories.customer(p)
    assert c.partner_id == p.id and c.location.country == "DE"
