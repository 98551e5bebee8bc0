"""What the emulated OpenID providers know: app registrations, users, codes, tokens, keys, counters."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fakecloud.oidc.keys import KeySet, b64url

SERVICES = ("ms", "google")
CONSUMER_DOMAINS = ("gmail.com", "googlemail.com")
CODE_LIFETIME = 600.0  # Entra ID: 10 minutes; Google: a few minutes
TOKEN_LIFETIME = 3600


def check_service(service: Any) -> str:
    if service not in SERVICES:
        raise ValueError(f"service must be one of {', '.join(SERVICES)}, not {service!r}")
    return str(service)


@dataclass
class Client:
    service: str
    tenant: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]


@dataclass
class User:
    service: str
    tenant: str  # Entra: the tenant id (tid); Google: the hosted domain ("" for a consumer account)
    email: str
    name: str
    groups: list[str]
    aliases: list[str]
    email_verified: bool
    mfa: bool
    oid: str = field(default_factory=lambda: str(uuid.uuid4()))
    google_sub: str = field(default_factory=lambda: str(100000000000000000000 + secrets.randbelow(10**20)))

    def subject(self, client_id: str) -> str:
        """Entra's ``sub`` is pairwise (per application); Google's is the account's stable number."""
        if self.service == "google":
            return self.google_sub
        return b64url(hashlib.sha256(f"{self.oid}:{client_id}".encode()).digest())


@dataclass
class Code:
    service: str
    client_id: str
    redirect_uri: str
    user: User
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str
    expires: float
    redeemed: bool = False


@dataclass
class AccessToken:
    service: str
    user: User
    client_id: str
    scope: str
    expires: float


@dataclass
class Override:
    """Changes to the next ID token of a service only (failure-case tests)."""

    claims: dict[str, Any]
    sign_with: str | None


class OidcState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clients: dict[tuple[str, str], Client] = {}
        self.users: dict[tuple[str, str], User] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, AccessToken] = {}
        self.keys: dict[str, KeySet] = {service: KeySet() for service in SERVICES}
        self.overrides: dict[str, Override] = {}
        self.counters: dict[str, dict[str, int]] = {
            service: {"discovery": 0, "jwks": 0, "authorize": 0, "sign_in": 0, "token": 0, "tokens_issued": 0,
                      "code_replays": 0, "userinfo": 0} for service in SERVICES}

    # --- control ----------------------------------------------------------------------
    def add_client(self, args: dict[str, Any]) -> Client:
        service = check_service(args.get("service"))
        uris = args.get("redirect_uris") or []
        if not isinstance(uris, list) or not all(isinstance(u, str) and u for u in uris):
            raise ValueError("redirect_uris must be a list of URLs")
        client_id = str(args.get("client_id") or (
            str(uuid.uuid4()) if service == "ms"
            else f"{secrets.randbelow(10**12):012d}-{secrets.token_hex(16)}.apps.googleusercontent.com"))
        client = Client(service, str(args.get("tenant") or ""), client_id,
                        str(args.get("client_secret") or secrets.token_urlsafe(30)), list(uris))
        if service == "ms" and not client.tenant:
            raise ValueError("an Entra ID app registration needs its home tenant (tenant)")
        with self.lock:
            self.clients[(service, client_id)] = client
        return client

    def add_user(self, args: dict[str, Any]) -> User:
        service = check_service(args.get("service"))
        email = str(args.get("email") or "").strip()
        if "@" not in email:
            raise ValueError(f"email must be an e-mail address, not {email!r}")
        tenant = str(args.get("tenant") or "")
        if service == "ms" and not tenant:
            raise ValueError("an Entra ID user needs its tenant (the tenant id)")
        if service == "google" and not tenant:
            domain = email.rsplit("@", 1)[1].lower()
            tenant = "" if domain in CONSUMER_DOMAINS else domain
        for name in ("groups", "aliases"):
            if not isinstance(args.get(name, []), list):
                raise ValueError(f"{name} must be a list")
        with self.lock:
            user = User(service, tenant, email, str(args.get("name") or email.split("@")[0]),
                        [str(g) for g in args.get("groups", [])], [str(a) for a in args.get("aliases", [])],
                        bool(args.get("email_verified", True)), bool(args.get("mfa", False)))
            known = self.users.get((service, email.lower()))
            if known is not None:  # the same account, changed: it keeps its object id and subject
                user.oid, user.google_sub = known.oid, known.google_sub
            self.users[(service, email.lower())] = user
        return user

    def remove_user(self, service: str, email: str) -> None:
        with self.lock:
            if self.users.pop((check_service(service), email.lower()), None) is None:
                raise KeyError(f"no {service} user {email}")
            self.tokens = {t: a for t, a in self.tokens.items()
                           if (a.service, a.user.email.lower()) != (service, email.lower())}

    def set_override(self, args: dict[str, Any]) -> None:
        service = check_service(args.get("service"))
        claims = dict(args.get("claims") or {})
        claims.update({k: v for k, v in args.items() if k not in ("service", "claims", "sign_with")})
        sign_with = args.get("sign_with")
        if sign_with is not None and sign_with != "unknown-key":
            with self.lock:
                if self.keys[service].find(str(sign_with)) is None:
                    raise ValueError(f"sign_with must be 'unknown-key' or the kid of a published key, not {sign_with!r}")
        with self.lock:
            self.overrides[service] = Override(claims, None if sign_with is None else str(sign_with))

    def stats(self) -> dict[str, Any]:
        with self.lock:
            per_service = {service: dict(counts) for service, counts in self.counters.items()}
        totals = {name: sum(counts[name] for counts in per_service.values()) for name in per_service["ms"]}
        return {**totals, "services": per_service}

    # --- the flow ---------------------------------------------------------------------
    def count(self, service: str, name: str) -> None:
        with self.lock:
            self.counters[service][name] += 1

    def client(self, service: str, client_id: str) -> Client | None:
        return self.clients.get((service, client_id))

    def user(self, service: str, email: str) -> User | None:
        return self.users.get((service, email.strip().lower()))

    def new_code(self, code: Code) -> str:
        value = b64url(secrets.token_bytes(32))
        with self.lock:
            self.codes[value] = code
        return value

    def new_token(self, service: str, user: User, client_id: str, scope: str) -> str:
        value = b64url(secrets.token_bytes(32))
        with self.lock:
            self.tokens[value] = AccessToken(service, user, client_id, scope, time.time() + TOKEN_LIFETIME)
        return value

    def access(self, service: str, token: str | None) -> AccessToken | None:
        found = self.tokens.get(token or "")
        if found is None or found.service != service or found.expires < time.time():
            return None
        return found

    def take_override(self, service: str) -> Override | None:
        with self.lock:
            return self.overrides.pop(service, None)
