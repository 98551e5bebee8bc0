"""/api/v1/partners and /api/v1/locations (operator)."""

from __future__ import annotations

from ninja import Router, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.api import serializers as ser
from kustos.api.schemas import LocationIn, LocationOut, PartnerIn, PartnerOut
from kustos.tenants.services import locations, partners

router = Router(tags=["partners"])


@router.get("/partners", response=list[PartnerOut], summary="List partners you can see")
def list_partners(request):
    return [ser.partner(p) for p in access.partners_for(request.auth)]


@router.post("/partners", response={201: PartnerOut}, summary="Create a partner (operator)")
def create_partner(request, body: PartnerIn):
    access.require(request.auth, Perm.PARTNER_MANAGE)
    return Status(201, ser.partner(partners.create(body.name, actor=request.auth)))


@router.get("/partners/{partner_id}", response=PartnerOut, summary="One partner")
def get_partner(request, partner_id: str):
    return ser.partner(access.get_partner(request.auth, partner_id, Perm.PARTNER_VIEW))


@router.patch("/partners/{partner_id}", response=PartnerOut, summary="Rename a partner (operator)")
def rename_partner(request, partner_id: str, body: PartnerIn):
    partner = access.get_partner(request.auth, partner_id, Perm.PARTNER_MANAGE)
    return ser.partner(partners.rename(partner, body.name, actor=request.auth))


@router.get("/locations", response=list[LocationOut], summary="Storage locations")
def list_locations(request):
    return [ser.location(loc) for loc in access.locations_for(request.auth)]


@router.post("/locations", response={201: LocationOut}, summary="Create a storage location (operator)")
def create_location(request, body: LocationIn):
    access.require(request.auth, Perm.LOCATION_MANAGE)
    loc = locations.create(body.id, body.name, body.country, vault_url=body.vault_url,
                           outside_eu_override=body.outside_eu_override,
                           actor=request.auth)
    return Status(201, ser.location(loc))
