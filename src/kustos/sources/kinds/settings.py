"""Validating a kind's settings against its declared fields, and the rule for secret-bound fields.

``clean`` is the one validation of settings (dashboard, API, CLI and settings files all end here).
``bound_changes`` says which settings that decide where the secret goes differ between two configs
(the caller then demands the secret again). ``destinations`` lists the host:port pairs a config
(and secret) will connect to, for the save-time egress check.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from kustos.sources.cacerts import CaPemInvalid, normalise_ca_pem
from kustos.sources.kinds.fields import BOOL, CHOICE, EMAIL, HOST, INT, LIST, PEM, TEXT, URL, Kind, KindError


def _or_list(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _int(name: str, value: Any, low: int | None, high: int | None) -> int:
    span = f"from {low if low is not None else 0} to {high}" if high is not None else "of 0 or more"
    try:
        number = int(value)
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(value)
    except (TypeError, ValueError):
        raise KindError(f"{name} must be a number {span}, not {value!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise KindError(f"{name} must be a number {span}, not {value!r}")
    return number


def _host(name: str, value: Any) -> str:
    host = str(value).strip()
    if not host or any(c.isspace() or c in "/@?#\\" for c in host):
        raise KindError(f"{name} must be a server name or IP address, not {value!r}")
    return host


def _url(name: str, value: Any) -> str:
    url = str(value).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise KindError(f"{name} must be an http(s) URL such as https://graph.microsoft.com, not {value!r}")
    return url


def _names(name: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", "\n").splitlines()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise KindError(f"{name} must be a list of names")
    return [v.strip() for v in value if v.strip()]


def _value(kind: Kind, name: str, value: Any) -> Any:
    spec = kind.field(name)
    assert spec is not None
    if spec.type == INT:
        return _int(name, value, spec.minimum, spec.maximum)
    if spec.type == HOST:
        return _host(name, value)
    if spec.type == URL:
        return _url(name, value)
    if spec.type == BOOL:
        if not isinstance(value, bool):
            raise KindError(f"{name} must be true or false")
        return value
    if spec.type == CHOICE:
        allowed = [c[0] for c in spec.choices]
        if value not in allowed:
            raise KindError(f"{name} must be {_or_list(sorted(allowed))}")
        return value
    if spec.type == LIST:
        return _names(name, value)
    if spec.type == PEM:
        try:
            return normalise_ca_pem(value)
        except CaPemInvalid as exc:
            raise KindError(str(exc)) from None
    if spec.type in (TEXT, EMAIL):
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise KindError(f"{name} must be text")
        text = str(value).strip()
        if spec.max_length and len(text) > spec.max_length:
            raise KindError(f"{name} is longer than {spec.max_length} characters")
        return text
    return value


def clean(kind: Kind, config: dict[str, Any]) -> dict[str, Any]:
    """The config with every value checked and normalised; empty values dropped. Raises KindError."""
    if not isinstance(config, dict):
        raise KindError("settings must be a JSON object")
    for key, message in kind.legacy.items():
        if key in config:
            raise KindError(message)
    known = {f.name for f in kind.settings}
    unknown = set(config) - known
    if unknown:
        raise KindError(f"unknown source settings: {', '.join(sorted(unknown))}")
    missing = [f.name for f in kind.settings if f.required and config.get(f.name) in (None, "", [])]
    if missing:
        raise KindError(f"{kind.name} source needs: {', '.join(missing)}")
    present = {k: v for k, v in config.items() if v not in (None, "")}
    ordered = [f.name for f in kind.settings if f.name in present]
    return {name: _value(kind, name, present[name]) for name in ordered}


def effective(kind: Kind, config: dict[str, Any]) -> dict[str, Any]:
    """Every setting with its default filled in (hosts lower-cased), for comparisons."""
    values: dict[str, Any] = {f.name: f.default for f in kind.settings}
    values.update(kind.computed_defaults(config))
    values.update({k: v for k, v in config.items() if v not in (None, "")})
    for f in kind.settings:
        if f.type == HOST and values.get(f.name):
            values[f.name] = str(values[f.name]).lower()
        if f.type == INT and values.get(f.name) not in (None, ""):
            values[f.name] = int(values[f.name])
        if values.get(f.name) is None and f.type in (TEXT, EMAIL, HOST, URL, PEM):
            values[f.name] = ""
    return values


def bound_changes(kind: Kind, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Labels of the secret-bound settings that differ (in declaration order)."""
    old, new = effective(kind, before), effective(kind, after)
    return [f.secret_bound for f in kind.settings if f.secret_bound and old.get(f.name) != new.get(f.name)]


def destinations(kind: Kind, config: dict[str, Any], secret: str | None) -> list[tuple[str, int]]:
    """The host:port pairs this config (and secret) connects to. Raises KindError for a bad port."""
    values = effective(kind, config)
    targets: list[tuple[str, int]] = []
    hosts = [f for f in kind.settings if f.type == HOST]
    for f in hosts:
        port = values.get("port")
        if values.get(f.name) and port:
            targets.append((values[f.name], int(port)))
    urls = [config.get(f.name) for f in kind.settings if f.type == URL]
    for target in [*urls, *kind.extra_destinations(config, secret)]:
        if isinstance(target, tuple):
            targets.append(target)
            continue
        if not target:
            continue
        parts = urlsplit(str(target))
        if parts.hostname:
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                raise KindError(f"{target!r} has an invalid port") from None
            targets.append((parts.hostname, port))
    return targets
