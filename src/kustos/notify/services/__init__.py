"""Services of the notifications app: ``events.emit`` (the one entry point), routes, webhooks."""
