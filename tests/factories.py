"""Test data builders for the Django side (real services, no mocks)."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from kustos.accounts.models import User
from kustos.accounts.services import users
from kustos.tenants.models import Customer, Partner
from kustos.tenants.services import customers, partners

PASSWORD = "correct-horse-battery-9"


def partner(name: str = "Partner A") -> Partner:
    return partners.create(name)


def customer(p: Partner, name: str = "Customer A") -> Customer:
    return customers.create(p, name)


def user(email: str, role: str, *, partner: Partner | None = None, customer: Customer | None = None,
         totp: bool = False, mailboxes: list[str] | None = None) -> User:
    u = users.create(email, role, password=PASSWORD, partner=partner, customer=customer, mailboxes=mailboxes)
    if totp:
        TOTPDevice.objects.create(user=u, name="test", confirmed=True)
    return u


def totp_token(u: User) -> str:
    from django_otp.oath import totp  # noqa: PLC0415

    device = TOTPDevice.objects.get(user=u, confirmed=True)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
