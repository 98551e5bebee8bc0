"""Dashboard URLs of the SSO settings (included by kustos.web.urls; rows in tests/integration/authz_expectations.py)."""

from django.urls import path

from kustos.sso.web import views

urlpatterns = [
    path("sso-settings/", views.settings_home, name="sso-settings"),
    path("partners/<str:partner_id>/sso/", views.partner_page, name="sso-partner"),
    path("partners/<str:partner_id>/sso/policy/", views.partner_policy, name="sso-partner-policy"),
    path("customers/<str:customer_id>/sso/", views.customer_page, name="sso-customer"),
    path("customers/<str:customer_id>/sso/policy/", views.customer_policy, name="sso-customer-policy"),
    path("sso-providers/<str:provider_id>/", views.provider_page, name="sso-provider"),
    path("sso-providers/<str:provider_id>/enabled/", views.provider_enabled, name="sso-provider-enabled"),
    path("sso-providers/<str:provider_id>/test/", views.provider_test, name="sso-provider-test"),
    path("sso-providers/<str:provider_id>/remove/", views.provider_delete, name="sso-provider-delete"),
]
