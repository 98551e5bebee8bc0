"""Search index backends: tantivy (embedded) and PostgreSQL full-text (scale-out)."""
