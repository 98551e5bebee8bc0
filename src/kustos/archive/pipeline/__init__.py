"""The ingest pipeline: ordered steps with an explicit contract (see contract.py)."""
