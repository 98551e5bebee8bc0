"""Dashboard URLs. Every pattern here must have a row in tests/integration/test_authz_matrix.py."""

from django.http import JsonResponse
from django.urls import path

from kustos.web.views import (
    account,
    auth,
    customers,
    help,
    jobs,
    locations,
    overview,
    partners,
    twofactor,
    users,
)

app_name = "web"


def healthz(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", overview.home, name="home"),
    # sign-in
    path("login/", auth.login_view, name="login"),
    path("login/otp/", auth.otp_view, name="login-otp"),
    path("logout/", auth.logout_view, name="logout"),
    path("password-reset/", auth.RESET["reset"], name="reset"),
    path("password-reset/sent/", auth.RESET["done"], name="reset-done"),
    path("password-reset/<uidb64>/<token>/", auth.RESET["confirm"], name="password_reset_confirm"),
    path("password-reset/complete/", auth.RESET["complete"], name="reset-complete"),
    # my account
    path("account/", account.index, name="account"),
    path("account/language/", account.language, name="account-language"),
    path("account/password/", auth.RESET["change"], name="account-password"),
    path("account/tokens/", account.create_token, name="token-create"),
    path("account/tokens/<str:token_id>/revoke/", account.revoke_token, name="token-revoke"),
    path("account/2fa/setup/", twofactor.setup, name="2fa-setup"),
    # operator
    path("partners/", partners.partner_list, name="partners"),
    path("partners/<str:partner_id>/", partners.partner_detail, name="partner"),
    path("locations/", locations.location_list, name="locations"),
    # customers
    path("customers/", customers.customer_list, name="customers"),
    path("customers/new/", customers.customer_create, name="customer-create"),
    path("customers/<str:customer_id>/", customers.customer_detail, name="customer"),
    path("customers/<str:customer_id>/edit/", customers.customer_edit, name="customer-edit"),
    path("customers/<str:customer_id>/delete/", customers.customer_delete, name="customer-delete"),
    # users
    path("users/", users.user_list, name="users"),
    path("users/new/", users.user_create, name="user-create"),
    path("users/<str:user_id>/", users.user_detail, name="user"),
    path("users/<str:user_id>/role/", users.user_role, name="user-role"),
    path("users/<str:user_id>/active/", users.user_active, name="user-active"),
    path("users/<str:user_id>/grants/", users.user_grant, name="user-grant"),
    # jobs and help
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/<str:job_id>/", jobs.job_detail, name="job"),
    path("help/", help.guide, name="help"),
]
