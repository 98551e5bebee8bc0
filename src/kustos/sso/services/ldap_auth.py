"""LDAP / Active Directory sign-in: the normal login form checks the password by an LDAP bind.

When the e-mail's domain is listed in ``email_domains`` of an enabled LDAP provider, the password
typed into the login form is never compared with a local hash: Kustos binds with the provider's
service account, finds the user under ``search_base`` by ``mail`` / ``userPrincipalName``, binds
as that user with the typed password, reads the user's groups (``memberOf``, or a group search
under ``group_base``) and hands the result to ``identities.sign_in`` — the same function OIDC
uses, so the user is matched or created and roles and mailboxes are mapped the same way.

TLS is required: ``ldaps://`` URLs, or ``ldap://`` with ``start_tls``. The server certificate is
verified against ``ca_file`` (a PEM bundle path in the provider's config) or the system CAs.
Passwords (the typed one and the service account's) are never logged or put into messages.

Provider config keys: ``url``, ``start_tls``, ``ca_file``, ``bind_dn``, ``search_base``,
``user_filter`` (``{email}`` is replaced by the escaped address; by default the address is looked
up in ``email_attribute`` (``mail``) and ``userPrincipalName``), ``group_base``, ``group_filter``
(``{dn}`` is the user's escaped DN), ``timeout_seconds``, ``email_domains``. The service account's
password is the provider's sealed secret.

``LdapBackend`` is the Django authentication backend that routes such logins here; it raises
``PermissionDenied`` on a refused LDAP login so Django reports a failed login (django-axes counts
it: the lockout and throttle apply to LDAP logins like to local ones).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import ldap3
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from ldap3.core import exceptions as ldap_exc
from ldap3.utils.conv import escape_filter_chars

from kustos.accounts.models import User
from kustos.core.secrets import open_secret
from kustos.sso.models import IdentityProvider
from kustos.sso.services import identities
from kustos.sso.services.errors import SsoError
from kustos.vault.errors import IntegrityError
from kustos.web import client_address

log = logging.getLogger(__name__)

DEFAULT_USER_FILTER = "(|(mail={email})(userPrincipalName={email}))"
DEFAULT_GROUP_FILTER = "(member={dn})"
DEFAULT_TIMEOUT = 10
USER_ATTRIBUTES = ["mail", "userPrincipalName", "proxyAddresses", "memberOf", "cn", "displayName"]


class LdapError(Exception):
    """An LDAP sign-in or connection test failed; the message names the problem (never a password)."""

    reason = "ldap_error"


class LdapConfigError(LdapError):
    """The provider's settings are incomplete or insecure."""

    reason = "ldap_config"


class LdapUnavailable(LdapError):
    """The directory could not be reached, or TLS or the service bind failed."""

    reason = "ldap_unavailable"


class LdapRefused(LdapError):
    """The user is unknown to the directory or the password is wrong."""

    reason = "ldap_refused"


@dataclass(frozen=True)
class LdapSettings:
    url: str
    start_tls: bool
    ca_file: str
    bind_dn: str
    bind_password: str = field(repr=False)
    search_base: str
    user_filter: str = DEFAULT_USER_FILTER
    group_base: str = ""
    group_filter: str = DEFAULT_GROUP_FILTER
    timeout: int = DEFAULT_TIMEOUT
    email_attribute: str = "mail"

    @classmethod
    def from_config(cls, config: dict[str, Any], bind_password: str) -> LdapSettings:
        url = str(config.get("url") or "").strip()
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("ldap", "ldaps") or not urlsplit(url).hostname:
            raise LdapConfigError(f"LDAP url {url!r} is not valid: use ldaps://host[:port] or ldap://host[:port]")
        start_tls = bool(config.get("start_tls"))
        if scheme == "ldap" and not start_tls:
            raise LdapConfigError("plain LDAP is refused: use an ldaps:// url or turn on start_tls")
        search_base = str(config.get("search_base") or "").strip()
        if not search_base:
            raise LdapConfigError("LDAP search_base is missing")
        email_attribute = str(config.get("email_attribute") or "mail").strip()
        if not email_attribute.replace("-", "").replace(";", "").isalnum():
            raise LdapConfigError(f"LDAP email_attribute {email_attribute!r} is not an attribute name")
        default_filter = DEFAULT_USER_FILTER.replace("(mail=", f"({email_attribute}=")
        user_filter = str(config.get("user_filter") or default_filter)
        if "{email}" not in user_filter:
            raise LdapConfigError("LDAP user_filter must contain {email}")
        group_filter = str(config.get("group_filter") or DEFAULT_GROUP_FILTER)
        if "{dn}" not in group_filter:
            raise LdapConfigError("LDAP group_filter must contain {dn}")
        try:
            timeout = int(config.get("timeout_seconds") or DEFAULT_TIMEOUT)
        except (TypeError, ValueError):
            raise LdapConfigError("LDAP timeout_seconds must be a whole number") from None
        return cls(url=url, start_tls=start_tls and scheme == "ldap", ca_file=str(config.get("ca_file") or ""),
                   bind_dn=str(config.get("bind_dn") or ""), bind_password=bind_password,
                   search_base=search_base, user_filter=user_filter,
                   group_base=str(config.get("group_base") or "").strip(), group_filter=group_filter,
                   timeout=max(1, min(timeout, 120)), email_attribute=email_attribute)

    @classmethod
    def for_provider(cls, provider: IdentityProvider, bind_password: str | None = None) -> LdapSettings:
        if provider.kind != IdentityProvider.Kind.LDAP:
            raise LdapConfigError(f"identity provider {provider.name!r} is not an LDAP provider")
        try:
            password = bind_password or open_secret(provider.secret_sealed, provider.owner_ref)
        except (IntegrityError, ValueError):
            raise LdapConfigError("the stored LDAP bind password cannot be opened: enter it again") from None
        return cls.from_config(provider.config or {}, password)


@dataclass(frozen=True)
class LdapIdentity:
    """What the directory says about a user after a successful bind."""

    dn: str
    email: str
    name: str
    addresses: list[str]
    groups: list[str]


def _server(settings: LdapSettings) -> ldap3.Server:
    """The server with a verifying TLS context: the chain against ``ca_file`` (else the system CAs)
    and the host name of the URL against the certificate (ldap3 checks it after the handshake)."""
    parts = urlsplit(settings.url)
    try:
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, version=ssl.PROTOCOL_TLS_CLIENT,
                        ca_certs_file=settings.ca_file or None, sni=None if _is_ip(parts.hostname) else parts.hostname)
    except ldap_exc.LDAPSSLConfigurationError as exc:
        raise LdapConfigError(f"LDAP ca_file {settings.ca_file!r} cannot be used: {exc}") from None
    use_ssl = parts.scheme.lower() == "ldaps"
    port = parts.port or (636 if use_ssl else 389)
    return ldap3.Server(parts.hostname, port=port, use_ssl=use_ssl, tls=tls, get_info=ldap3.NONE,
                        connect_timeout=settings.timeout)


def _is_ip(host: str | None) -> bool:
    try:
        ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return True


def _bound(settings: LdapSettings, server: ldap3.Server, dn: str, password: str) -> ldap3.Connection | None:
    """An open, TLS-protected connection bound as ``dn``; None when the directory refuses the
    credentials. Raises LdapUnavailable when the server or TLS fails."""
    if not password:
        # An empty password is an "unauthenticated bind" (RFC 4513 5.1.2) that many servers accept.
        return None
    conn = ldap3.Connection(server, user=dn, password=password, authentication=ldap3.SIMPLE, read_only=True,
                            receive_timeout=settings.timeout, raise_exceptions=False)
    try:
        conn.open()
        if settings.start_tls and not conn.start_tls():
            conn.unbind()
            raise LdapUnavailable(f"StartTLS with {settings.url} failed: {conn.result.get('description', 'refused')}")
        if conn.bind():
            return conn
    except ldap_exc.LDAPStartTLSError as exc:
        raise LdapUnavailable(f"StartTLS with {settings.url} failed: {_reason(exc)}") from None
    except ldap_exc.LDAPSocketOpenError as exc:
        raise LdapUnavailable(f"cannot connect to {settings.url}: {_reason(exc)}") from None
    except ldap_exc.LDAPException as exc:
        raise LdapUnavailable(f"LDAP error from {settings.url}: {_reason(exc)}") from None
    result = conn.result.get("description", "")
    conn.unbind()
    if result == "invalidCredentials":
        return None
    raise LdapUnavailable(f"bind at {settings.url} failed: {result or 'no answer'}")


def _reason(exc: Exception) -> str:
    """One short line: certificate failures are named as such (ldap3 puts the whole certificate into
    its hostname error)."""
    text = str(exc).strip() or type(exc).__name__
    if "doesn't match any name" in text:
        return "the server certificate does not name this host"
    verify = re.search(r"certificate verify failed: ([^()\]]+)", text)
    if verify:
        return f"the server certificate is not trusted ({verify.group(1).strip()})"
    return text[:300]


def _service_connection(settings: LdapSettings, server: ldap3.Server) -> ldap3.Connection:
    if not settings.bind_dn:
        raise LdapConfigError("LDAP bind_dn (the service account) is missing")
    conn = _bound(settings, server, settings.bind_dn, settings.bind_password)
    if conn is None:
        raise LdapUnavailable(f"the service account {settings.bind_dn} was refused by {settings.url}")
    return conn


def _values(entry: Any, name: str) -> list[str]:
    attributes = entry.get("attributes", {})
    value = attributes.get(name)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)] if str(value).strip() else []


def addresses_of(mail: list[str], proxy_addresses: list[str]) -> list[str]:
    """Primary address first (``mail``, else the ``SMTP:`` proxy address), then the ``smtp:`` aliases;
    lower case, no duplicates, only SMTP-type proxy addresses."""
    primary = [m.strip().lower() for m in mail if "@" in m]
    upper = [p[5:].strip().lower() for p in proxy_addresses if p.startswith("SMTP:")]
    lower = [p[5:].strip().lower() for p in proxy_addresses if p[:5].lower() == "smtp:" and not p.startswith("SMTP:")]
    seen: list[str] = []
    for address in primary + upper + lower:
        if "@" in address and address not in seen:
            seen.append(address)
    return seen


def _group_names(dns: list[str]) -> list[str]:
    """Each group's DN and its first RDN value (``cn=Admins,ou=g,...`` → both), so a role map may name
    a group either way."""
    names: list[str] = []
    for dn in dns:
        for candidate in (dn, _first_rdn_value(dn)):
            if candidate and candidate not in names:
                names.append(candidate)
    return names


def _first_rdn_value(dn: str) -> str:
    try:
        parts = ldap3.utils.dn.parse_dn(dn)
    except ldap_exc.LDAPInvalidDnError:
        return ""
    return str(parts[0][1]) if parts else ""


def _find_user(settings: LdapSettings, conn: ldap3.Connection, email: str) -> dict[str, Any] | None:
    search_filter = settings.user_filter.replace("{email}", escape_filter_chars(email))
    attributes = USER_ATTRIBUTES + ([settings.email_attribute] if settings.email_attribute not in USER_ATTRIBUTES
                                    else [])
    ok = conn.search(settings.search_base, search_filter, search_scope=ldap3.SUBTREE,
                     attributes=attributes, size_limit=2)
    entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
    if not ok and conn.result.get("description") not in ("success", "noSuchObject", "sizeLimitExceeded"):
        raise LdapUnavailable(f"user search under {settings.search_base} failed: {conn.result.get('description')}")
    if len(entries) != 1:
        if len(entries) > 1:
            log.warning("LDAP search for one sign-in address found several entries under %s", settings.search_base)
        return None
    return entries[0]


def _groups(settings: LdapSettings, conn: ldap3.Connection, entry: dict[str, Any]) -> list[str]:
    if not settings.group_base:
        return _group_names(_values(entry, "memberOf"))
    search_filter = settings.group_filter.replace("{dn}", escape_filter_chars(entry["dn"]))
    conn.search(settings.group_base, search_filter, search_scope=ldap3.SUBTREE, attributes=["cn"])
    dns = [e["dn"] for e in conn.response or [] if e.get("type") == "searchResEntry"]
    return _group_names(dns)


def check_password(settings: LdapSettings, email: str, password: str) -> LdapIdentity:
    """Find the user by ``email`` and bind as them with ``password``; LdapRefused when the directory
    does not know the address or refuses the password."""
    email = email.strip().lower()
    server = _server(settings)
    service = _service_connection(settings, server)
    try:
        entry = _find_user(settings, service, email)
        if entry is None:
            raise LdapRefused(f"no directory entry for {email}")
        user_conn = _bound(settings, server, entry["dn"], password)
        if user_conn is None:
            raise LdapRefused(f"the directory refused the password for {email}")
        user_conn.unbind()
        groups = _groups(settings, service, entry)
    except ldap_exc.LDAPException as exc:  # the connection broke or timed out during a search
        raise LdapUnavailable(f"LDAP error from {settings.url}: {_reason(exc)}") from None
    finally:
        service.unbind()
    addresses = addresses_of(_values(entry, settings.email_attribute), _values(entry, "proxyAddresses"))
    if email not in addresses and email not in [u.lower() for u in _values(entry, "userPrincipalName")]:
        raise LdapRefused(f"{email} is not an address of the directory entry found")
    if email not in addresses:
        addresses.insert(0, email)
    name = (_values(entry, "displayName") or _values(entry, "cn") or [email])[0]
    return LdapIdentity(dn=entry["dn"], email=addresses[0], name=name, addresses=addresses, groups=groups)


def provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled LDAP provider whose ``email_domains`` holds the address's domain, if any."""
    if "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    for provider in IdentityProvider.objects.filter(kind=IdentityProvider.Kind.LDAP, enabled=True).order_by("id"):
        domains = [str(d).strip().lower() for d in (provider.config or {}).get("email_domains") or []]
        if domain in domains:
            return provider
    return None


def sign_in(provider: IdentityProvider, email: str, password: str, *, ip: str = "") -> Any:
    """Check ``password`` by LDAP bind and sign the user in through ``identities.sign_in``.

    Returns the Kustos user. Raises LdapError (refused, unavailable, misconfigured) or the
    ``identities`` module's errors (e.g. the user may not be created)."""
    try:
        identity = check_password(LdapSettings.for_provider(provider), email, password)
    except LdapError as exc:
        identities.record_failure(provider, SsoError(str(exc), reason=exc.reason), email=email.strip().lower(),
                                  ip=ip)
        raise
    claims = {"sub": identity.dn, "email": identity.email, "email_verified": True, "name": identity.name,
              "groups": identity.groups}
    return identities.sign_in(provider, claims, identity.addresses, False, ip=ip)


def test_connection(provider: IdentityProvider, bind_password: str | None = None) -> dict[str, Any]:
    """For the settings page: TLS connection, service bind and the search base (and group base).

    ``{"ok": bool, "message": str, ...}``; ``bind_password`` overrides the stored secret (a password
    typed into the form before saving)."""
    try:
        settings = LdapSettings.for_provider(provider, bind_password)
        server = _server(settings)
        conn = _service_connection(settings, server)
        try:
            for base in [settings.search_base] + ([settings.group_base] if settings.group_base else []):
                if not conn.search(base, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[]):
                    raise LdapUnavailable(f"{base} cannot be read: {conn.result.get('description', 'not found')}")
        finally:
            conn.unbind()
    except LdapError as exc:
        return {"ok": False, "message": str(exc)}
    except ldap_exc.LDAPException as exc:
        return {"ok": False, "message": f"LDAP error: {_reason(exc)}"}
    tls = "StartTLS" if settings.start_tls else "LDAPS"
    return {"ok": True, "url": settings.url, "tls": tls, "bind_dn": settings.bind_dn,
            "message": f"connected to {settings.url} ({tls}), bound as {settings.bind_dn}, "
                       f"{settings.search_base} found"}


def _routes_to(provider: IdentityProvider, email: str) -> bool:
    """A provider serves only its own partner's or customer's people: an existing account of anyone
    else (an operator, the break-glass account, another tenant's user) keeps its local password."""
    user = User.objects.filter(email__iexact=email).only("partner_id", "customer_id").first()
    if user is None:
        return True
    if provider.customer_id:
        return user.customer_id == provider.customer_id
    return user.partner_id == provider.partner_id and not user.customer_id


class LdapBackend(ModelBackend):
    """Django authentication backend: logins whose e-mail domain belongs to an LDAP provider are
    checked by LDAP bind, never by the local hash; other logins fall through to ModelBackend."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     email: str | None = None, **kwargs: Any) -> Any:
        address = (email or username or "").strip().lower()
        if not address or password is None:
            return None
        provider = provider_for_email(address)
        if provider is None or not _routes_to(provider, address):
            return None
        ip = client_address.client_ip(request) if request is not None else ""
        try:
            user = sign_in(provider, address, password, ip=ip)
        except (LdapError, SsoError):
            raise PermissionDenied from None
        if user is None or not self.user_can_authenticate(user):
            raise PermissionDenied
        return user
