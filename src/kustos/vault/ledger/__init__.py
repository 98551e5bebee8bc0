"""Ledger: per-customer append-only log of stored objects, sealed in timestamped Merkle batches."""
