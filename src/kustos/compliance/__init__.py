"""Compliance documents per customer: procedure documentation (GoBD) and the Art. 30 record (GDPR)."""
