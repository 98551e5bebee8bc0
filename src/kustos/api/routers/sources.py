"""/api/v1 sources and SMTP journaling (partner roles and customer admins). The settings schema of
each kind is generated from its declared fields (``api.schemas.settings_schema``)."""

from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.api import serializers as ser
from kustos.api.schemas import JobOut, SourceIn, SourcePatch
from kustos.archive.models import Source
from kustos.archive.services import journal
from kustos.archive.services import sources as service

router = Router(tags=["sources"])


def _source(user, source_id: str, perm: Perm) -> Source:
    source = Source.objects.select_related("customer").filter(
        id=source_id, customer__in=access.customers_for(user)).first()
    if source is None:
        raise Http404("no such source")
    access.require(user, perm)
    return source


@router.get("/customers/{customer_id}/sources", response=list[dict], summary="A customer's archive sources")
def list_sources(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.SOURCE_VIEW)
    return [service.public(s) for s in customer.sources.all()]


@router.post("/customers/{customer_id}/sources", response={201: dict},
             summary="Connect a source of any registered kind; the secret is stored encrypted")
def add_source(request, customer_id: str, body: SourceIn):
    customer = access.get_customer(request.auth, customer_id, Perm.SOURCE_MANAGE)
    source = service.add(customer, body.kind, body.config, body.secret, name=body.name,
                         interval_minutes=body.interval_minutes, actor=request.auth)
    return Status(201, service.public(source))


@router.get("/sources/{source_id}", response=dict, summary="One source with its status")
def get_source(request, source_id: str):
    return service.public(_source(request.auth, source_id, Perm.SOURCE_VIEW))


@router.patch("/sources/{source_id}", response=dict, summary="Edit, pause or resume a source")
def edit_source(request, source_id: str, body: SourcePatch):
    source = _source(request.auth, source_id, Perm.SOURCE_MANAGE)
    if body.name:
        source.name = body.name
    service.update(source, body.config, body.secret, interval_minutes=body.interval_minutes, paused=body.paused,
                   actor=request.auth)
    return service.public(source)


@router.delete("/sources/{source_id}", response={204: None}, summary="Disconnect a source (archived mail stays)")
def remove_source(request, source_id: str):
    service.remove(_source(request.auth, source_id, Perm.SOURCE_MANAGE), actor=request.auth)
    return Status(204, None)


@router.post("/sources/{source_id}/test", response=dict, summary="Test the connection (clear error text)")
def test_source(request, source_id: str):
    return service.test(_source(request.auth, source_id, Perm.SOURCE_MANAGE))


@router.post("/sources/{source_id}/scopes", response=dict,
             summary="Discover what the connection can fetch (mailboxes, users, drives, sites, teams)")
def source_scopes(request, source_id: str):
    return service.scopes(_source(request.auth, source_id, Perm.SOURCE_MANAGE))


@router.post("/sources/{source_id}/run", response={202: JobOut}, summary="Fetch now (runs as a job)")
def run_source(request, source_id: str):
    job = service.run_now(_source(request.auth, source_id, Perm.SOURCE_MANAGE), actor=request.auth)
    job.refresh_from_db()
    return Status(202, ser.job(job))


class JournalPatch(Schema):
    allowed_hosts: list[str] | None = None
    trusted_hosts: list[str] | None = None
    trust_authenticated: bool | None = None


@router.get("/customers/{customer_id}/journal", response=dict,
            summary="The customer's SMTP journaling address, receiving host and port, allowed and trusted senders")
def journal_address(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.SOURCE_VIEW)
    return journal.public(customer)


@router.patch("/customers/{customer_id}/journal", response=dict,
              summary="Set who may deliver to the journaling address (allowed_hosts) and whose journal reports "
                      "are unwrapped (trusted_hosts: IPs/CIDRs; trust_authenticated: reports over SMTP AUTH)")
def journal_configure(request, customer_id: str, body: JournalPatch):
    customer = access.get_customer(request.auth, customer_id, Perm.SOURCE_MANAGE)
    journal.configure(customer, allowed_hosts=body.allowed_hosts, trusted_hosts=body.trusted_hosts,
                      trust_authenticated=body.trust_authenticated, actor=request.auth)
    return journal.public(customer)
