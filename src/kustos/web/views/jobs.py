"""Background jobs: list and one job with a progress bar that htmx polls while it runs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.jobs.models import Job
from kustos.web import tables
from kustos.web.htmx import render_page

SORTS = {"created": "created_at", "kind": "kind", "state": "state", "customer": "customer_name"}


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.JOB_VIEW)
    qs = access.jobs_for(request.user)
    state = request.GET.get("state", "")
    if state in Job.State.values:
        qs = qs.filter(state=state)
    context = {"table": tables.build(request, qs, SORTS, "-created"), "states": Job.State.choices,
               "state": state}
    return render_page(request, "kustos/jobs/list.html", "kustos/jobs/_table.html", context)


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    job = access.get_job(request.user, job_id)
    return render_page(request, "kustos/jobs/detail.html", "kustos/jobs/_progress.html", {"job": job})
