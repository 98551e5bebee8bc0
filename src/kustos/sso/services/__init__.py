"""SSO services: providers (CRUD), the OIDC flow and identity mapping (shared with LDAP)."""
