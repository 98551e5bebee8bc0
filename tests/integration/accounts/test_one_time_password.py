"""Item 14: the operator's password from the first start (and a CLI-generated one) is a
one-time password — it signs in once, then every dashboard page leads to the password page
and the API answers 403 "password change required" until a new password is chosen."""

from __future__ import annotations

import stat

import pytest
from django.conf import settings
from django.test import Client

from kustos.accounts.models import User
from kustos.accounts.services import passwords, tokens, users
from kustos.cli import first_operator
from kustos.cli.base import Context
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "my-own-secret-pass-31"


def _first_operator() -> tuple[User, str]:
    user = first_operator.ensure(Context(settings.KUSTOS, json_output=False))
    path = first_operator.password_file(settings.KUSTOS.home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # pytest's stdout is not a terminal
    email, password = path.read_text().split()
    assert email == user.email
    return user, password


def test_first_operator_password_works_once_and_forces_a_new_one():
    user, password = _first_operator()
    assert user.must_change_password
    assert first_operator.ensure(Context(settings.KUSTOS, json_output=False)) is None  # only once
    client = Client()
    resp = client.post("/login/", {"email": user.email, "password": password})
    assert resp.status_code == 302 and resp["Location"] == "/account/password/"
    for url in ("/", "/customers/", "/users/", "/account/", "/account/2fa/setup/", "/partners/"):
        gated = client.get(url)
        assert gated.status_code == 302 and gated["Location"] == "/account/password/", url
    assert client.get("/account/password/").status_code == 200
    resp = client.post("/account/password/", {"old_password": password, "new_password1": NEW_PASSWORD,
                                               "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(NEW_PASSWORD)
    # then the operator's next duty: two-factor setup
    resp = client.get("/customers/")
    assert resp.status_code == 302 and resp["Location"] == "/account/2fa/setup/"
    # the one-time password is spent
    again = Client().post("/login/", {"email": user.email, "password": password})
    assert again.status_code == 200 and "not correct" in again.content.decode()


def test_api_answers_403_until_the_password_is_changed():
    partner = factories.partner("OTP Partner")
    customer = factories.customer(partner, "OTP Customer")
    user = users.create("ca@otp.example", "customer_admin", customer=customer, password="one-time-pass-4821",
                        one_time_password=True, actor="cli")
    _, secret = tokens.create(user, "early")
    resp = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 403 and resp["Content-Type"] == "application/problem+json"
    assert resp.json()["detail"].startswith("password change required")
    client = Client()
    client.post("/login/", {"email": user.email, "password": "one-time-pass-4821"})
    resp = client.get("/api/v1/me")
    assert resp.status_code == 403 and resp.json()["detail"].startswith("password change required")
    resp = client.post("/account/password/", {"old_password": "one-time-pass-4821", "new_password1": NEW_PASSWORD,
                                              "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == "/account/"
    assert client.get("/api/v1/me").json()["email"] == user.email
    assert client.get("/").status_code == 200


def test_api_password_change_is_the_one_open_operation_and_ends_every_token():
    operator = users.create("script-ops@otp.example", "operator", password="one-time-pass-9917",
                            one_time_password=True, actor="cli")
    _, secret = tokens.create(operator, "automation")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert Client().get("/api/v1/me/tokens", **auth).status_code == 403
    wrong = Client().post("/api/v1/me/password", {"old_password": "nope-nope-nope", "new_password": NEW_PASSWORD},
                          content_type="application/json", **auth)
    assert wrong.status_code == 422 and wrong.json()["detail"] == "the current password is not correct"
    weak = Client().post("/api/v1/me/password", {"old_password": "one-time-pass-9917", "new_password": "12345"},
                         content_type="application/json", **auth)
    assert weak.status_code == 422 and "too short" in weak.json()["detail"]
    done = Client().post("/api/v1/me/password", {"old_password": "one-time-pass-9917", "new_password": NEW_PASSWORD},
                         content_type="application/json", **auth)
    assert done.status_code == 204
    operator.refresh_from_db()
    assert not operator.must_change_password and operator.check_password(NEW_PASSWORD)
    assert Client().get("/api/v1/me", **auth).status_code == 401  # every token ended, this one included


def test_first_operator_password_file_goes_when_the_password_is_replaced():
    user, _ = _first_operator()
    path = first_operator.password_file(settings.KUSTOS.home)
    passwords.set_password(factories.user("someone@example.com", "operator"), NEW_PASSWORD)
    assert path.exists()  # another user's change leaves the operator's file alone
    passwords.set_password(user, NEW_PASSWORD)
    assert not path.exists()
