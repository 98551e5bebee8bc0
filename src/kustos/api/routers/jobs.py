"""/api/v1/jobs: background jobs with state and progress."""

from __future__ import annotations

from ninja import Router

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.api import serializers as ser
from kustos.api.schemas import JobOut

router = Router(tags=["jobs"])


@router.get("/jobs", response=list[JobOut], summary="Jobs you can see, newest first")
def list_jobs(request, state: str = "", customer: str = "", limit: int = 100, offset: int = 0):
    access.require(request.auth, Perm.JOB_VIEW)
    qs = access.jobs_for(request.auth)
    if state:
        qs = qs.filter(state=state)
    if customer:
        qs = qs.filter(customer_id=customer)
    return [ser.job(j) for j in qs[offset:offset + min(limit, 1000)]]


@router.get("/jobs/{job_id}", response=JobOut, summary="One job")
def get_job(request, job_id: str):
    return ser.job(access.get_job(request.auth, job_id))
