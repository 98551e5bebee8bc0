"""/api/v1/me/app-passwords: the caller's app passwords for mail clients (read-only IMAP access)."""

from __future__ import annotations

from ninja import Router, Schema, Status

from kustos.accounts.services import app_passwords

router = Router(tags=["app passwords"])


class AppPasswordIn(Schema):
    name: str


class AppPasswordOut(Schema):
    id: str
    name: str
    created_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None
    active: bool


class AppPasswordCreated(AppPasswordOut):
    password: str


@router.get("/me/app-passwords", response=list[AppPasswordOut], summary="Your app passwords (IMAP access)")
def list_app_passwords(request):
    return [app_passwords.as_dict(r) for r in app_passwords.list_for(request.auth)]


@router.post("/me/app-passwords", response={201: AppPasswordCreated},
             summary="Create an app password for a mail client (the password is shown once)",
             description="End users only while their customer admin allows IMAP self-service (else 403).")
def create_app_password(request, body: AppPasswordIn):
    row, secret = app_passwords.create(request.auth, body.name, actor=request.auth)
    return Status(201, {**app_passwords.as_dict(row), "password": secret})


@router.delete("/me/app-passwords/{app_password_id}", response=AppPasswordOut,
               summary="Revoke one of your app passwords")
def revoke_app_password(request, app_password_id: str):
    return app_passwords.as_dict(app_passwords.revoke(request.auth, app_password_id, actor=request.auth))
