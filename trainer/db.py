"""PostgreSQL connections: the local stack by default, SUPABASE_DB_URL to point elsewhere."""

from __future__ import annotations

import os

import psycopg

LOCAL_DB_URL = "postgresql://postgres:postgres@127.0.0.1:54322/postgres"


def db_url() -> str:
    return os.environ.get("SUPABASE_DB_URL", LOCAL_DB_URL)


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    """A connection, or a clear error saying where it tried and how to start the local stack."""
    target = url or db_url()
    try:
        return psycopg.connect(target, connect_timeout=5, **kwargs)
    except psycopg.OperationalError as exc:
        raise ConnectionError(
            f"cannot connect to PostgreSQL at {target.split('@')[-1]}: {exc}".strip()
            + "\n(start the local stack with: scripts/stack up)"
        ) from None
