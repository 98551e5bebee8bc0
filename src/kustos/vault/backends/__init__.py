"""Storage backends: a tiny interface (see :mod:`.base`) with local, memory and S3 implementations."""
