"""/api/v1/customers: list, create, read, edit, delete (a wipe job)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from ninja import Router, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.accounts.roles import Role
from kustos.api import serializers as ser
from kustos.api.schemas import CustomerIn, CustomerOut, CustomerPatch, DeleteIn, JobOut
from kustos.tenants.models import StorageLocation
from kustos.tenants.services import customers

router = Router(tags=["customers"])

SORTS = {"name": "name", "-name": "-name", "storage": "storage_bytes", "-storage": "-storage_bytes",
         "activity": "last_activity_at", "-activity": "-last_activity_at", "created": "created_at",
         "-created": "-created_at"}


@router.get("/customers", response=list[CustomerOut], summary="Customers you can see, with usage")
def list_customers(request, q: str = "", partner: str = "", sort: str = "name", limit: int = 100, offset: int = 0):
    qs = access.customers_for(request.auth)
    if partner:
        qs = qs.filter(partner_id=partner)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(legal_name__icontains=q) | Q(customer_number__icontains=q))
    qs = qs.order_by(SORTS.get(sort, "name"))
    return [ser.customer(c) for c in qs[offset:offset + min(limit, 1000)]]


@router.post("/customers", response={201: CustomerOut}, summary="Create a customer (a pseudonym is fine)")
def create_customer(request, body: CustomerIn):
    user = request.auth
    access.require(user, Perm.CUSTOMER_CREATE)
    partner_id = body.partner if user.role == Role.OPERATOR else user.partner_id
    if not partner_id:
        raise ValidationError("partner is required")
    partner = access.get_partner(user, partner_id, Perm.PARTNER_VIEW) if user.role == Role.OPERATOR \
        else user.partner
    location = None
    if body.location:
        location = StorageLocation.objects.filter(id=body.location).first()
        if location is None:
            raise ValidationError(f"unknown storage location {body.location!r}")
    customer = customers.create(
        partner, body.name, legal_name=body.legal_name, customer_number=body.customer_number, notes=body.notes,
        location=location, archiving_enabled=body.archiving_enabled, backup_enabled=body.backup_enabled,
        actor=user,
    )
    return Status(201, ser.customer(customer))


@router.get("/customers/{customer_id}", response=CustomerOut, summary="One customer with usage")
def get_customer(request, customer_id: str):
    return ser.customer(access.get_customer(request.auth, customer_id, Perm.CUSTOMER_VIEW))


@router.patch("/customers/{customer_id}", response=CustomerOut, summary="Edit a customer")
def edit_customer(request, customer_id: str, body: CustomerPatch):
    customer = access.get_customer(request.auth, customer_id, Perm.CUSTOMER_EDIT)
    changes = {k: v for k, v in body.dict().items() if v is not None}
    return ser.customer(customers.update(customer, changes, actor=request.auth))


@router.post("/customers/{customer_id}/delete", response={202: JobOut},
             summary="Irreversibly delete (crypto-shred) a customer; `confirm` must equal its name")
def delete_customer(request, customer_id: str, body: DeleteIn):
    customer = access.get_customer(request.auth, customer_id, Perm.CUSTOMER_DELETE)
    job = customers.request_deletion(customer, confirmation=body.confirm, actor=request.auth)
    job.refresh_from_db()
    return Status(202, ser.job(job))
