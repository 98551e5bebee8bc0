"""API schemas shared by the routers (ids are strings)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from kustos.sources.kinds import registry


class PartnerOut(Schema):
    id: str
    name: str
    created_at: datetime


class PartnerIn(Schema):
    name: str


class LocationOut(Schema):
    id: str
    name: str
    country: str


class LocationIn(Schema):
    id: str
    name: str
    country: str
    vault_url: str = ""  # where the location's customers' data is stored; empty = the installation's vault
    outside_eu_override: bool = False


class CustomerOut(Schema):
    id: str
    name: str
    partner: str
    legal_name: str
    customer_number: str
    location: str
    location_country: str
    status: str
    services: list[str]
    storage_bytes: int
    mailboxes: int
    last_activity_at: datetime | None
    created_at: datetime


class CustomerIn(Schema):
    name: str
    partner: str | None = None
    legal_name: str = ""
    customer_number: str = ""
    notes: str = ""
    location: str | None = None
    archiving_enabled: bool = True
    backup_enabled: bool = False


class CustomerPatch(Schema):
    name: str | None = None
    legal_name: str | None = None
    customer_number: str | None = None
    notes: str | None = None
    archiving_enabled: bool | None = None
    backup_enabled: bool | None = None


class DeleteIn(Schema):
    confirm: str


class UserOut(Schema):
    id: str
    email: str
    name: str
    role: str
    partner: str | None
    customer: str | None
    is_active: bool


class UserIn(Schema):
    email: str
    role: str
    name: str = ""
    partner: str | None = None
    customer: str | None = None
    mailboxes: list[str] = []
    password: str | None = None


class UserPatch(Schema):
    role: str | None = None
    is_active: bool | None = None


class GrantIn(Schema):
    customer: str
    expires_at: datetime
    date_from: date | None = None
    date_to: date | None = None
    tax_relevant_only: bool = True
    mailboxes: list[str] = []  # empty = every mailbox of the customer


class JobOut(Schema):
    id: str
    kind: str
    customer: str
    state: str
    progress: float
    progress_text: str
    error: str
    attempts: int
    result: dict
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None = None  # last sign of life of a running job's process
    heartbeat_age: int | None = None  # seconds since then (running jobs only)
    worker: str = ""  # host:pid/thread running it


class TokenOut(Schema):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked: bool


class TokenCreated(TokenOut):
    token: str


class TokenIn(Schema):
    name: str
    expires_days: int | None = None  # default: KUSTOS_TOKEN_LIFETIME_DAYS (90)


class Page(Schema):
    total: int
    limit: int
    offset: int


# --- sources: request schemas generated from the kinds' declared fields (kustos.sources.kinds) ---------

_JSON_TYPES = {"int": {"type": "integer"}, "bool": {"type": "boolean"},
               "list": {"type": "array", "items": {"type": "string"}}}


def _field_schema(spec: Any) -> dict[str, Any]:
    schema: dict[str, Any] = dict(_JSON_TYPES.get(spec.type, {"type": "string"}))
    if spec.type == "url":
        schema["format"] = "uri"
    if spec.type == "email":
        schema["format"] = "email"
    if spec.choices:
        schema["enum"] = [c[0] for c in spec.choices]
    if spec.minimum is not None:
        schema["minimum"] = spec.minimum
    if spec.maximum is not None:
        schema["maximum"] = spec.maximum
    if spec.max_length:
        schema["maxLength"] = spec.max_length
    if spec.default is not None:
        schema["default"] = spec.default
    text = spec.label + (f": {spec.help}" if spec.help else "")
    if spec.type == "pem":
        text += " (PEM text of the CA certificates to trust; no server paths)"
    if spec.secret_bound:
        text += " Changing it requires the secret again."
    schema["description"] = text
    return schema


def settings_schema(kind: Any) -> dict[str, Any]:
    """JSON Schema of a kind's ``config`` (its declared settings; unknown fields are refused)."""
    return {"title": f"{kind.name} settings ({kind.label})", "type": "object", "additionalProperties": False,
            "properties": {s.name: _field_schema(s) for s in kind.settings},
            "required": [s.name for s in kind.settings if s.required]}


def secret_doc(kind: Any) -> str:
    spec = kind.secret_field
    return f"{kind.name}: {spec.noun or spec.name}" + (" (JSON document as a string)" if spec.type == "json_file" else "")


def _config_extra(schema: dict[str, Any]) -> None:
    schema["oneOf"] = [settings_schema(k) for k in registry.all_kinds()]
    schema["description"] = ("Settings of the kind (one of the schemas below, chosen by `kind`); "
                             "unknown settings are refused with 422 naming them.")


def _secret_extra(schema: dict[str, Any]) -> None:
    schema["description"] = ("The kind's secret: " + "; ".join(secret_doc(k) for k in registry.all_kinds())
                             + ". Required again when a change moves where it goes.")


def _kind_extra(schema: dict[str, Any]) -> None:
    schema["enum"] = [k.name for k in registry.all_kinds()]


class SourceIn(Schema):
    kind: str = Field(..., json_schema_extra=_kind_extra)
    name: str = ""
    config: dict = Field(..., json_schema_extra=_config_extra)
    secret: str = Field("", json_schema_extra=_secret_extra)
    interval_minutes: int = 15


class SourcePatch(Schema):
    name: str | None = None
    config: dict | None = Field(None, json_schema_extra=_config_extra)
    secret: str | None = Field(None, json_schema_extra=_secret_extra)
    interval_minutes: int | None = None
    paused: bool | None = None
