"""Driving a sign-in by hand: the Django test client for Kustos, ``requests`` for the emulated provider."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import requests
from django.test import Client

REDIRECT_URI = "http://testserver/sso/callback"


def authorize(client: Client, provider_id: str, email: str) -> str:
    """Start at Kustos, sign in at the emulated provider; the callback query the provider sends back."""
    start = client.get(f"/sso/{provider_id}/start")
    assert start.status_code == 302, start
    url = start["Location"]
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and 'id="signin"' in page.text, page.text[:300]
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["code_challenge_method"] == "S256" and params["code_challenge"] and params["nonce"]
    answer = requests.post(url.split("?", 1)[0], data={**params, "email": email}, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:300]
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    return location.split("?", 1)[1]


def callback(client: Client, query: str):
    return client.get("/sso/callback?" + query)


def sign_in(client: Client, provider_id: str, email: str):
    return callback(client, authorize(client, provider_id, email))


def messages_of(client: Client) -> str:
    page = client.get("/login/")
    return page.content.decode()
