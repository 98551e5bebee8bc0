"""Connectors: archive sources and SaaS backup sources (framework-free)."""
