"""Signing test clients in the way the real flow leaves the session: password login plus,
for users with a TOTP device, the django-otp verification marker."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from kustos.accounts.models import User


def sign_in(client: Client, user: User) -> Client:
    """Log ``user`` in; if it has a confirmed TOTP device, mark the session as verified."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
