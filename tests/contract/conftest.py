from tests.servers.postgres import postgres_db, postgres_dsn  # noqa: F401
