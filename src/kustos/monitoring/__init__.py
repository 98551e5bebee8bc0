"""Health at a glance (no models): each customer's state per service (``health``), usage over time
for charts (``usage``) and the installation's health for the operator (``installation``)."""
