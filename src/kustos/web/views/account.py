"""My account: profile, language, two-factor status and personal API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kustos.accounts.models import ApiToken
from kustos.accounts.services import tokens, twofactor
from kustos.web.forms import ApiTokenForm, LanguageForm
from kustos.web.views.common import set_language_cookie


def _page(request: HttpRequest, *, token_form: ApiTokenForm | None = None, new_secret: str = "",
          status: int = 200) -> HttpResponse:
    user = request.user
    context = {
        "language_form": LanguageForm(initial={"language": user.language or request.LANGUAGE_CODE}),
        "token_form": token_form or ApiTokenForm(),
        "tokens": user.api_tokens.all(),
        "new_secret": new_secret,
        "has_device": twofactor.confirmed_device(user) is not None,
        "twofactor_required": twofactor.required(user),
        "token_lifetime_days": tokens.default_lifetime_days(),
    }
    return render(request, "kustos/account/index.html", context, status=status)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400)
    request.user.language = form.cleaned_data["language"]
    request.user.save(update_fields=["language"])
    return set_language_cookie(redirect("/account/"), request.user.language)


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """Create a token and show its secret in this one response only; it is stored hashed."""
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, token_form=form, status=400)
    _token, secret = tokens.create(request.user, form.cleaned_data["name"], actor=request.user)
    return _page(request, new_secret=secret)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: str) -> HttpResponse:
    token = ApiToken.objects.filter(id=token_id, user=request.user).first()
    if token is None:
        raise Http404("no such token")
    tokens.revoke(token, actor=request.user)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("/account/")
