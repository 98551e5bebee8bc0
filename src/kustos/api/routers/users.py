"""/api/v1/users, auditor grants and the caller's own API tokens (/api/v1/me/tokens)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.accounts.models import ApiToken
from kustos.accounts.roles import Role
from kustos.accounts.services import grants, tokens, users
from kustos.accounts.services.passwords import set_password
from kustos.api import serializers as ser
from kustos.api.schemas import GrantIn, TokenCreated, TokenIn, TokenOut, UserIn, UserOut, UserPatch
from kustos.tenants.models import Partner

router = Router(tags=["users"])


@router.get("/me", response=UserOut, summary="The calling user")
def me(request):
    return ser.user(request.auth)


@router.get("/users", response=list[UserOut], summary="Users you can see")
def list_users(request, role: str = "", customer: str = "", limit: int = 200, offset: int = 0):
    access.require(request.auth, Perm.USER_VIEW)
    qs = access.users_for(request.auth)
    if role:
        qs = qs.filter(role=role)
    if customer:
        qs = qs.filter(customer_id=customer)
    return [ser.user(u) for u in qs[offset:offset + min(limit, 1000)]]


@router.post("/users", response={201: UserOut}, summary="Create a user with a role in a scope")
def create_user(request, body: UserIn):
    actor = request.auth
    partner_id = body.partner
    if actor.role != Role.OPERATOR and body.role in (Role.PARTNER_ADMIN, Role.PARTNER_TECH):
        partner_id = partner_id or actor.partner_id
    if actor.role == Role.CUSTOMER_ADMIN and body.role != Role.AUDITOR:
        body.customer = body.customer or actor.customer_id
    access.check_can_assign(actor, body.role, partner_id, body.customer)
    partner = Partner.objects.filter(id=partner_id).first() if partner_id else None
    if partner_id and partner is None:
        raise Http404("no such partner")
    customer = access.get_customer(actor, body.customer, Perm.USER_VIEW) if body.customer else None
    user = users.create(body.email, body.role, password=body.password, partner=partner, customer=customer,
                        name=body.name, mailboxes=body.mailboxes, actor=actor)
    return Status(201, ser.user(user))


@router.get("/users/{user_id}", response=UserOut, summary="One user")
def get_user(request, user_id: str):
    return ser.user(access.get_user(request.auth, user_id))


@router.patch("/users/{user_id}", response=UserOut, summary="Change a user's role or deactivate it")
def edit_user(request, user_id: str, body: UserPatch):
    target = access.get_user(request.auth, user_id, Perm.USER_MANAGE)
    access.require(request.auth, Perm.USER_MANAGE)
    if target.id == request.auth.id:
        raise ValidationError("you cannot change your own role or deactivate yourself")
    access.check_can_assign(request.auth, target.role, target.partner_id, target.customer_id)
    if body.role is not None:
        access.check_can_assign(request.auth, body.role, target.partner_id, target.customer_id)
        users.change_role(target, body.role, actor=request.auth)
    if body.is_active is not None:
        users.set_active(target, body.is_active, actor=request.auth)
    return ser.user(target)


@router.post("/users/{user_id}/grants", response={201: dict}, summary="Grant an auditor access to a customer")
def grant(request, user_id: str, body: GrantIn):
    target = access.get_user(request.auth, user_id, Perm.USER_MANAGE)
    access.check_can_assign(request.auth, Role.AUDITOR, None, body.customer)
    customer = access.get_customer(request.auth, body.customer, Perm.USER_VIEW)
    g = users.grant(target, customer, expires_at=body.expires_at, date_from=body.date_from, date_to=body.date_to,
                    tax_relevant_only=body.tax_relevant_only, mailboxes=grants.clean_mailboxes(body.mailboxes),
                    actor=request.auth)
    return Status(201, {**grants.row(g), "expires_at": g.expires_at})


@router.get("/users/{user_id}/grants", response=list[dict], summary="An auditor's grants (revoked ones included)")
def list_grants(request, user_id: str):
    target = access.get_user(request.auth, user_id, Perm.USER_VIEW)
    return [grants.row(g) for g in access.grants_for(request.auth).filter(user=target).order_by("customer_id")]


@router.delete("/users/{user_id}/grants/{customer_id}", response=dict,
               summary="Revoke an auditor's access to a customer (effective at once, kept for the record)")
def revoke_grant(request, user_id: str, customer_id: str):
    return grants.row(grants.revoke(access.get_grant(request.auth, user_id, customer_id), actor=request.auth))


@router.get("/me/tokens", response=list[TokenOut], summary="Your API tokens")
def list_tokens(request):
    return [ser.token(t) for t in request.auth.api_tokens.all()]


@router.post("/me/tokens", response={201: TokenCreated}, summary="Create an API token (shown once)")
def create_token(request, body: TokenIn):
    token, secret = tokens.create(request.auth, body.name, expires_days=body.expires_days, actor=request.auth)
    return Status(201, {**ser.token(token), "token": secret})


@router.delete("/me/tokens/{token_id}", response=TokenOut, summary="Revoke one of your API tokens")
def revoke_token(request, token_id: str):
    token = ApiToken.objects.filter(id=token_id, user=request.auth).first()
    if token is None:
        raise Http404("no such token")
    return ser.token(tokens.revoke(token, actor=request.auth))


class PasswordChangeIn(Schema):
    old_password: str
    new_password: str


@router.post("/me/password", response={204: None},
             summary="Change your password (password rules apply; ends your other sessions and ALL your API "
                     "tokens, including the one used for this call)")
def change_password(request, body: PasswordChangeIn):
    user = request.auth
    if not user.check_password(body.old_password):
        raise ValidationError("the current password is not correct")
    set_password(user, body.new_password, actor=user, reason="password_change")
    return Status(204, None)
