"""Search benchmark on the bulk corpus: ``python -m kustos.search.bench --help``."""
