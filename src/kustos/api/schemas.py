"""API schemas shared by the routers (ids are strings)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema


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
