"""The six roles and what scope each one lives in."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    PARTNER_TECH = "partner_tech", _("Partner technician")
    CUSTOMER_ADMIN = "customer_admin", _("Customer admin")
    END_USER = "end_user", _("End user")
    AUDITOR = "auditor", _("Auditor")


PARTNER_ROLES = {Role.PARTNER_ADMIN, Role.PARTNER_TECH}
CUSTOMER_ROLES = {Role.CUSTOMER_ADMIN, Role.END_USER}
# Roles that must use two-factor authentication by default (operator and partner roles).
TWO_FACTOR_ROLES = {Role.OPERATOR, Role.PARTNER_ADMIN, Role.PARTNER_TECH}
