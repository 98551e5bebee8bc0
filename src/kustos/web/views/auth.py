"""Login (e-mail + password, then TOTP when the user has a device), logout, password reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token

from kustos.accounts.forms import ServicePasswordChangeForm, ServiceSetPasswordForm
from kustos.accounts.services import signin_throttle, twofactor
from kustos.accounts.services.passwords import ConfiguredLinkResetForm
from kustos.audit import services as audit
from kustos.sso.services import login_options, signin_policy
from kustos.web.forms import LoginForm, TokenForm
from kustos.web.middleware import CSP
from kustos.web.views.common import client_ip, safe_next, set_language_cookie


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step one: e-mail and password. Users with a TOTP device continue at /login/otp/;
    users whose role requires 2FA but have no device continue at the setup page."""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        user = authenticate(request, email=email, password=form.cleaned_data["password"])
        if user is None:
            audit.record("auth.login_failed", actor="anonymous", outcome="failed", ip=client_ip(request),
                         detail={"email": email, "locked": bool(getattr(request, "axes_locked_out", False))})
            form.add_error(None, _("The e-mail address or password is not correct."))
        elif not signin_policy.password_allowed(user, backend=getattr(user, "backend", "")):
            audit.record("auth.login_failed", actor=user, outcome="failed", ip=client_ip(request),
                         detail={"reason": "local_passwords_off"})
            form.add_error(None, _("Your organisation signs in with single sign-on: use its button or "
                                   "“Sign in with your organisation” below."))
        else:
            django_login(request, user)
            if (max_age := signin_policy.session_max_age_seconds(user)) is not None:
                request.session.set_expiry(max_age)
            device = twofactor.confirmed_device(user)
            audit.record("auth.login", actor=user, ip=client_ip(request),
                         detail={"second_factor": "pending" if device else "none"})
            target = safe_next(request)
            if device is not None:
                response = redirect("/login/otp/?" + urlencode({"next": target}))
            elif user.must_change_password:
                response = redirect("/account/password/")
            elif twofactor.required(user):
                response = redirect("/account/2fa/setup/")
            else:
                response = redirect(target)
            if device is None:
                signin_throttle.signed_in(request, email)
            return set_language_cookie(response, user.language)
    response = render(request, "kustos/auth/login.html", {"form": form, "next": safe_next(request, ""),
                                                         "sso": login_options.options()})
    if (policy := login_options.content_security_policy(CSP)) is not None:
        response["Content-Security-Policy"] = policy  # e-mail-first sign-in redirects to the provider
    return response


@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    """Step two: the 6-digit code from the user's authenticator app."""
    if not request.user.is_authenticated:
        return redirect("/login/")
    if request.user.is_verified() or twofactor.confirmed_device(request.user) is None:
        return redirect(safe_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].strip().replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            signin_throttle.signed_in(request, request.user.email)
            audit.record("auth.otp_verified", actor=request.user, ip=client_ip(request))
            return redirect(safe_next(request))
        audit.record("auth.otp_failed", actor=request.user, outcome="failed", ip=client_ip(request))
        if signin_throttle.code_failed(request, request.user.email):
            django_logout(request)
            messages.error(request, _("Too many wrong codes. Sign in again."))
            return redirect("/login/")
        form.add_error("token", _("This code is not valid. Check the time on your phone and try again."))
    return render(request, "kustos/auth/otp.html", {"form": form, "next": safe_next(request, "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record("auth.logout", actor=request.user, ip=client_ip(request))
    django_logout(request)
    messages.info(request, _("You have been signed out."))
    return redirect("/login/")


def _reset_views():
    """Django's password views with our templates and forms: reset links are built from
    KUSTOS_BASE_URL (never the request's Host), and every new password goes through
    ``accounts.services.passwords.set_password`` (rules; all sessions and tokens end)."""
    return {
        "reset": auth_views.PasswordResetView.as_view(
            form_class=ConfiguredLinkResetForm,
            template_name="kustos/auth/reset_form.html", email_template_name="kustos/auth/reset_email.txt",
            subject_template_name="kustos/auth/reset_subject.txt", success_url=reverse_lazy("web:reset-done")),
        "done": auth_views.PasswordResetDoneView.as_view(template_name="kustos/auth/reset_done.html"),
        "confirm": auth_views.PasswordResetConfirmView.as_view(
            form_class=ServiceSetPasswordForm,
            template_name="kustos/auth/reset_confirm.html", success_url=reverse_lazy("web:reset-complete")),
        "complete": auth_views.PasswordResetCompleteView.as_view(template_name="kustos/auth/reset_complete.html"),
        "change": login_required(auth_views.PasswordChangeView.as_view(
            form_class=ServicePasswordChangeForm,
            template_name="kustos/account/password.html", success_url=reverse_lazy("web:account"))),
    }


RESET = _reset_views()
