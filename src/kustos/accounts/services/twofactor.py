"""TOTP two-factor authentication (django-otp), required for operator and partner roles."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from kustos.accounts.models import User
from kustos.accounts.roles import TWO_FACTOR_ROLES


def required(user: User) -> bool:
    return settings.KUSTOS.require_2fa_for_admins and user.role in TWO_FACTOR_ROLES


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being set up (created on first call)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue().decode()


def confirm(device: TOTPDevice, token: str) -> bool:
    if device.verify_token(token.strip().replace(" ", "")):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user).exclude(id=device.id).delete()
        return True
    return False


def reset(user: User) -> int:
    """Remove all of ``user``'s TOTP devices (lost phone); the next sign-in starts setup again.
    Returns the number of devices removed."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return deleted
