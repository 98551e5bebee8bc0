"""Item 6: tokens expire (401 with a clear problem detail), and every password change (own,
by an administrator, by a reset link) and every deactivation ends ALL of the user's
dashboard sessions and API tokens — through the real views, API and service."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kustos.accounts.models import ApiToken
from kustos.accounts.services import tokens, users
from kustos.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-pass-77"


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _signed_in(email: str, password: str = factories.PASSWORD) -> Client:
    client = Client()
    resp = client.post("/login/", {"email": email, "password": password})
    assert resp.status_code == 302 and resp["Location"] == "/", resp.content[:300]
    assert client.get("/account/").status_code == 200
    return client


@pytest.fixture
def world():
    partner = factories.partner("Session Partner")
    customer = factories.customer(partner, "Session Customer")
    user = factories.user("ca@session.example", "customer_admin", customer=customer)
    _, secret = tokens.create(user, "script")
    return user, secret


def _gone(client: Client, secret: str) -> None:
    resp = client.get("/account/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")
    resp = Client().get("/api/v1/me", **bearer(secret))
    assert resp.status_code == 401 and resp["Content-Type"] == "application/problem+json"


def test_own_password_change_ends_other_sessions_and_all_tokens(world):
    user, secret = world
    here, elsewhere = _signed_in(user.email), _signed_in(user.email)
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 200
    resp = here.post("/account/password/", {"old_password": factories.PASSWORD, "new_password1": NEW_PASSWORD,
                                             "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == "/account/"
    _gone(elsewhere, secret)
    assert here.get("/account/").status_code == 200  # the browser that changed it stays signed in
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    ended = AuditEvent.objects.filter(action="auth.sessions_ended", target=user.id).first()
    assert ended.detail["reason"] == "password_change" and ended.detail["tokens"] == 1


def test_password_reset_link_ends_sessions_and_tokens(world):
    user, secret = world
    browser = _signed_in(user.email)
    anon = Client()
    anon.post("/password-reset/", {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/password-reset/[^/\s]+/[^/\s]+/)", mail.outbox[0].body).group(1)
    form_page = anon.get(link, follow=True)
    resp = anon.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == "/password-reset/complete/"
    _gone(browser, secret)


def test_password_set_by_an_administrator_ends_sessions_and_tokens(world):
    user, secret = world
    browser = _signed_in(user.email)
    users.set_password(user, NEW_PASSWORD, actor="cli")
    _gone(browser, secret)
    _signed_in(user.email, NEW_PASSWORD)


def test_deactivation_ends_sessions_and_tokens_and_reactivation_does_not_revive_them(world):
    user, secret = world
    browser = _signed_in(user.email)
    admin = factories.user("admin@session.example", "customer_admin", customer=user.customer)
    _, admin_secret = tokens.create(admin, "admin")
    resp = Client().patch(f"/api/v1/users/{user.id}", {"is_active": False}, content_type="application/json",
                          **bearer(admin_secret))
    assert resp.status_code == 200 and resp.json()["is_active"] is False
    users.set_active(user, True, actor="cli")
    _gone(browser, secret)  # still gone after reactivation: the token was revoked, the session deleted


def test_expired_token_is_refused_with_a_clear_problem(world):
    user, secret = world
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(minutes=1))
    resp = Client().get("/api/v1/me", **bearer(secret))
    assert resp.status_code == 401 and resp["Content-Type"] == "application/problem+json"
    assert "expired" in resp.json()["detail"] and "create a new one" in resp.json()["detail"]


def test_tokens_get_the_default_lifetime_or_a_chosen_one(world, settings):
    user, secret = world
    token = ApiToken.objects.get(user=user)
    assert abs((token.expires_at - timezone.now()) - timedelta(days=settings.KUSTOS.token_lifetime_days)) \
        < timedelta(minutes=1)
    resp = Client().post("/api/v1/me/tokens", {"name": "short", "expires_days": 7},
                         content_type="application/json", **bearer(secret))
    assert resp.status_code == 201
    body = resp.json()
    assert body["token"].startswith("kst_") and body["expires_at"]
    short = ApiToken.objects.get(id=body["id"])
    assert abs((short.expires_at - timezone.now()) - timedelta(days=7)) < timedelta(minutes=1)
    resp = Client().post("/api/v1/me/tokens", {"name": "forever", "expires_days": 0},
                         content_type="application/json", **bearer(secret))
    assert resp.status_code == 422 and "between 1 and" in resp.json()["detail"]


def test_dashboard_shows_token_expiry(world):
    user, _ = world
    browser = _signed_in(user.email)
    token = ApiToken.objects.get(user=user)
    page = browser.get("/account/").content.decode()
    assert "Expires" in page and 'data-testid="token-expires"' in page
    assert str(token.expires_at.astimezone(timezone.get_current_timezone()).year) in page
    assert "New tokens expire after 90 days" in page
