"""/api/v1 single sign-on settings: a partner's or a customer's identity providers (Entra ID, Google,
any OpenID Connect provider, LDAP), "test connection", and the sign-in policy (local passwords on or
off, session maximum age). Operators, partner admins and customer admins within their scope
(``user.manage``); the client secret / bind password is write-only."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema

from kustos.sso.services import admin, connection_test, signin_policy

router = Router(tags=["single sign-on"])


class ProviderIn(Schema):
    kind: str = ""
    name: str = ""
    enabled: bool = True
    config: dict[str, Any] = {}
    secret: str = ""


class ProviderPatch(Schema):
    name: str | None = None
    enabled: bool | None = None
    config: dict[str, Any] | None = None
    secret: str | None = None


class PolicyIn(Schema):
    local_passwords: bool | None = None
    session_max_age_hours: int | None = None


def _create(request, owner, body: ProviderIn):
    provider = admin.create(owner, kind=body.kind, name=body.name, config=body.config, secret=body.secret,
                            enabled=body.enabled, actor=request.auth)
    return 201, admin.as_dict(provider)


@router.get("/partners/{partner_id}/sso-providers", response=list[dict],
            summary="The partner's identity providers (its staff sign in with them)")
def partner_providers(request, partner_id: str):
    return [admin.as_dict(p) for p in admin.list_for(admin.partner_as(request.auth, partner_id))]


@router.post("/partners/{partner_id}/sso-providers", response={201: dict},
             summary="Add an identity provider for the partner's staff (audited)")
def add_partner_provider(request, partner_id: str, body: ProviderIn):
    return _create(request, admin.partner_as(request.auth, partner_id), body)


@router.get("/customers/{customer_id}/sso-providers", response=list[dict],
            summary="The customer's identity providers (its admins and end users sign in with them)")
def customer_providers(request, customer_id: str):
    return [admin.as_dict(p) for p in admin.list_for(admin.customer_as(request.auth, customer_id))]


@router.post("/customers/{customer_id}/sso-providers", response={201: dict},
             summary="Add an identity provider for the customer's admins and end users (audited)")
def add_customer_provider(request, customer_id: str, body: ProviderIn):
    return _create(request, admin.customer_as(request.auth, customer_id), body)


@router.get("/sso-providers/{provider_id}", response=dict, summary="One identity provider (never its secret)")
def get_provider(request, provider_id: str):
    return admin.as_dict(admin.get_as(request.auth, provider_id))


@router.patch("/sso-providers/{provider_id}", response=dict,
              summary="Change an identity provider: name, enabled, settings, secret (audited)",
              description="`config` keys replace the stored ones, a `null` value removes one; an empty or "
                          "missing `secret` keeps the stored secret.")
def patch_provider(request, provider_id: str, body: ProviderPatch):
    provider = admin.get_as(request.auth, provider_id)
    return admin.as_dict(admin.update(provider, actor=request.auth, name=body.name, config=body.config,
                                      secret=body.secret, enabled=body.enabled))


@router.delete("/sso-providers/{provider_id}", response=dict, summary="Remove an identity provider (audited)")
def delete_provider(request, provider_id: str):
    return admin.delete(admin.get_as(request.auth, provider_id), actor=request.auth)


@router.post("/sso-providers/{provider_id}/test", response=dict,
             summary="Test connection: OIDC discovery document and signing keys, or an LDAP service-account bind")
def test_provider(request, provider_id: str):
    return connection_test.run(admin.get_as(request.auth, provider_id), actor=request.auth)


@router.get("/partners/{partner_id}/sign-in-policy", response=dict,
            summary="How the partner's staff may sign in (local passwords, session maximum age)")
def partner_policy(request, partner_id: str):
    return signin_policy.as_dict(admin.partner_as(request.auth, partner_id))


@router.put("/partners/{partner_id}/sign-in-policy", response=dict,
            summary="Turn local passwords of the partner's staff on or off, set the session maximum age",
            description="Local passwords can be turned off only while an identity provider of the partner is "
                        "enabled. Operators are never bound by a policy (break-glass).")
def put_partner_policy(request, partner_id: str, body: PolicyIn):
    return signin_policy.update(admin.partner_as(request.auth, partner_id), actor=request.auth,
                                local_passwords=body.local_passwords, session_max_age_hours=body.session_max_age_hours)


@router.get("/customers/{customer_id}/sign-in-policy", response=dict,
            summary="How the customer's admins and end users may sign in")
def customer_policy(request, customer_id: str):
    return signin_policy.as_dict(admin.customer_as(request.auth, customer_id))


@router.put("/customers/{customer_id}/sign-in-policy", response=dict,
            summary="Turn local passwords of the customer's users on or off, set the session maximum age",
            description="Local passwords can be turned off only while an identity provider of the customer is "
                        "enabled.")
def put_customer_policy(request, customer_id: str, body: PolicyIn):
    return signin_policy.update(admin.customer_as(request.auth, customer_id), actor=request.auth,
                                local_passwords=body.local_passwords, session_max_age_hours=body.session_max_age_hours)
