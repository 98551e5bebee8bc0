"""Alerts and notifications per partner: which events go where (e-mail, signed webhooks)."""
