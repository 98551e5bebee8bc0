"""Sign-in: password then TOTP, lockout after repeated failures, logout, forced 2FA setup,
password reset by e-mail — through the real views, middleware and django-otp/axes."""

from __future__ import annotations

import base64
import dataclasses
import re
import time

import pytest
from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kustos.audit.models import AuditEvent
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


def _password_step(client: Client, email: str, password: str = factories.PASSWORD, next_url: str = ""):
    data = {"email": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


@pytest.fixture
def partner_admin():
    partner = factories.partner("Login Partner")
    return factories.user("admin@login-partner.example", "partner_admin", partner=partner, totp=True)


def test_login_with_password_and_totp(client: Client, partner_admin):
    resp = _password_step(client, partner_admin.email, next_url="/customers/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/otp/")
    # Password alone is not enough: every dashboard page sends the user back to the OTP step.
    gated = client.get("/customers/")
    assert gated.status_code == 302 and gated["Location"].startswith("/login/otp/")
    resp = client.post("/login/otp/", {"token": "000000" if factories.totp_token(partner_admin) != "000000"
                                       else "111111", "next": "/customers/"})
    assert resp.status_code == 200 and "not valid" in resp.content.decode()
    time.sleep(1.1)  # django-otp throttles a device for 2^(failures-1) s after a wrong code
    resp = client.post("/login/otp/", {"token": factories.totp_token(partner_admin), "next": "/customers/"})
    assert resp.status_code == 302 and resp["Location"] == "/customers/"
    page = client.get("/customers/")
    assert page.status_code == 200 and b"customer-table" in page.content
    actions = list(AuditEvent.objects.filter(actor=partner_admin.email).values_list("action", flat=True))
    assert {"auth.login", "auth.otp_failed", "auth.otp_verified"} <= set(actions)


def test_wrong_password_is_refused_and_audited(client: Client, partner_admin):
    resp = _password_step(client, partner_admin.email, password="wrong-password-1")
    assert resp.status_code == 200 and "not correct" in resp.content.decode()
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.filter(action="auth.login_failed").first()
    assert event is not None and event.outcome == "failed" and event.detail["email"] == partner_admin.email


def test_lockout_after_repeated_failures(client: Client, partner_admin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(client, partner_admin.email, password="wrong-password-1")
    # Even the right password is refused now, with the lockout page (HTTP 429).
    resp = _password_step(client, partner_admin.email)
    assert resp.status_code == 429
    assert "Too many failed sign-in attempts" in resp.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not affected (lockout per username + address).
    other = factories.user("tech@login-partner.example", "partner_tech", partner=partner_admin.partner, totp=True)
    assert _password_step(Client(), other.email).status_code == 302


def test_logout_ends_the_session(client: Client, partner_admin):
    _password_step(client, partner_admin.email)
    client.post("/login/otp/", {"token": factories.totp_token(partner_admin)})
    assert client.get("/").status_code == 200
    assert client.get("/logout/").status_code == 405  # logout changes state: POST only
    resp = client.post("/logout/")
    assert resp.status_code == 302 and resp["Location"] == "/login/"
    resp = client.get("/customers/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/?next=/customers/")
    assert AuditEvent.objects.filter(action="auth.logout", actor=partner_admin.email).exists()


def test_partner_admin_without_device_must_set_up_2fa(client: Client):
    partner = factories.partner("No Device Partner")
    user = factories.user("new@nodevice.example", "partner_admin", partner=partner)
    resp = _password_step(client, user.email)
    assert resp.status_code == 302 and resp["Location"] == "/account/2fa/setup/"
    for url in ("/", "/customers/", "/users/", "/jobs/", "/account/"):
        gated = client.get(url)
        assert gated.status_code == 302 and gated["Location"] == "/account/2fa/setup/", url
    page = client.get("/account/2fa/setup/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in body
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', body).group(1).replace(" ", "")
    assert secret == base64.b32encode(device.bin_key).decode().rstrip("=")
    bad = client.post("/account/2fa/setup/", {"token": "12345"})
    assert bad.status_code == 200 and not TOTPDevice.objects.get(id=device.id).confirmed
    time.sleep(1.1)  # throttled after the wrong code
    token = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    resp = client.post("/account/2fa/setup/", {"token": token})
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert TOTPDevice.objects.get(id=device.id).confirmed
    assert client.get("/customers/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.2fa_setup", actor=user.email, outcome="ok").exists()


def test_end_user_needs_no_second_factor(client: Client):
    partner = factories.partner("EU Partner")
    customer = factories.customer(partner, "EU Customer")
    user = factories.user("anna@eu-customer.example", "end_user", customer=customer)
    resp = _password_step(client, user.email)
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert client.get("/").status_code == 200


def test_open_redirect_is_refused(client: Client):
    partner = factories.partner("Redirect Partner")
    customer = factories.customer(partner, "Redirect Customer")
    user = factories.user("eve@redirect.example", "customer_admin", customer=customer)
    resp = _password_step(client, user.email, next_url="https://evil.example/phish")
    assert resp.status_code == 302 and resp["Location"] == "/"


def test_password_reset_sends_a_working_link(client: Client, partner_admin, settings):
    resp = client.post("/password-reset/", {"email": partner_admin.email})
    assert resp.status_code == 302 and resp["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [partner_admin.email]
    base = re.escape(settings.KUSTOS.public_url)
    link = re.search(base + r"(/password-reset/[^/\s]+/[^/\s]+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and b"new_password1" in form_page.content
    resp = client.post(form_page.redirect_chain[-1][0], {"new_password1": "a-brand-new-pass-77",
                                                         "new_password2": "a-brand-new-pass-77"})
    assert resp.status_code == 302 and resp["Location"] == "/password-reset/complete/"
    partner_admin.refresh_from_db()
    assert partner_admin.check_password("a-brand-new-pass-77")
    # Unknown addresses get the same answer and no mail (no account enumeration).
    resp = client.post("/password-reset/", {"email": "nobody@nowhere.example"})
    assert resp.status_code == 302 and len(mail.outbox) == 1


def test_reset_link_ignores_a_forged_host_header(client: Client, partner_admin, settings):
    """An attacker asks for a reset of the victim's account with ``Host: evil.example``: the
    mailed link still points at the configured KUSTOS_BASE_URL."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, base_url="https://archive.example.org/")
    resp = client.post("/password-reset/", {"email": partner_admin.email}, HTTP_HOST="evil.example")
    assert resp.status_code == 302
    body = mail.outbox[0].body
    assert "evil.example" not in body
    assert re.search(r"https://archive\.example\.org/password-reset/[^/\s]+/[^/\s]+/", body)


def test_invitation_link_ignores_a_forged_host_header(client: Client, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, base_url="https://archive.example.org")
    partner = factories.partner("Invite Partner")
    admin = factories.user("boss@invite.example", "partner_admin", partner=partner, totp=True)
    sign_in(client, admin)
    resp = client.post("/users/new/", {"email": "new-tech@invite.example", "role": "partner_tech", "name": "T"},
                       HTTP_HOST="evil.example")
    assert resp.status_code == 302, resp.content.decode()[:500]
    assert len(mail.outbox) == 1 and "evil.example" not in mail.outbox[0].body
    assert "https://archive.example.org/password-reset/" in mail.outbox[0].body
