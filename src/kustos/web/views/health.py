"""Installation health (operator): queue depth, pending and failing jobs, workers alive, disk and
vault usage — the numbers of ``monitoring.installation.snapshot`` (also `kustos health`, the API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.core import runtime
from kustos.monitoring import installation


@login_required
@require_GET
def installation_health(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.INSTALLATION_HEALTH)
    settings = runtime.settings()
    data = installation.snapshot(home=settings.home, heartbeat_timeout=settings.job_heartbeat_timeout)
    return render(request, "kustos/health/installation.html", {"health": data})
