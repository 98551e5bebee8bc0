"""Google OAuth 2.0 (service-account JWT bearer), Admin SDK Directory and Gmail emulation."""
