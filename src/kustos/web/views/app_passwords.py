"""My account → App passwords: passwords for mail clients (read-only IMAP access to the archive)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kustos.accounts.services import app_passwords


class AppPasswordForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Device or mail client"), max_length=app_passwords.MAX_NAME,
                           widget=forms.TextInput(attrs={"placeholder": "Thunderbird"}))


def _page(request: HttpRequest, *, form: AppPasswordForm | None = None, new_secret: str = "",
          status: int = 200) -> HttpResponse:
    user = request.user
    context = {
        "form": form or AppPasswordForm(),
        "rows": app_passwords.list_for(user),
        "new_secret": new_secret,
        "allowed": app_passwords.allowed(user),
        "imap_port": settings.KUSTOS.imap_port,
        "imap_host": settings.KUSTOS.host,
    }
    return render(request, "kustos/account/app_passwords.html", context, status=status)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """Create an app password and show it in this one response only (stored hashed)."""
    form = AppPasswordForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    _row, secret = app_passwords.create(request.user, form.cleaned_data["name"], actor=request.user)
    return _page(request, new_secret=secret)


@login_required
@require_POST
def revoke(request: HttpRequest, app_password_id: str) -> HttpResponse:
    row = app_passwords.revoke(request.user, app_password_id, actor=request.user)
    messages.success(request, _("The app password “%(name)s” was revoked.") % {"name": row.name})
    return redirect("/account/app-passwords/")
