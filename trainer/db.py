"""PostgreSQL connections: the local stack by default, SUPABASE_DB_URL to point elsewhere."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA_MIGRATIONS = sorted((REPO_ROOT / "supabase" / "migrations").glob("*_schema.sql"))


@contextmanager
def scratch_database(name: str, url: str | None = None) -> Iterator[str]:
    """A new, empty database with the project's schema (tables, grants, RLS; no schedule, which
    pg_cron allows only in its own database), dropped afterwards. Yields its URL."""
    base = url or db_url()
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"bad scratch database name {name!r}")
    with connect(base, autocommit=True) as admin:
        admin.execute(f"drop database if exists {name} with (force)")
        admin.execute(f"create database {name}")
    scratch = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        with connect(scratch, autocommit=True) as conn:
            conn.execute((REPO_ROOT / "scripts" / "local" / "bootstrap.sql").read_text())
            for migration in SCHEMA_MIGRATIONS:
                with conn.transaction():
                    conn.execute(migration.read_text())
        yield scratch
    finally:
        with connect(base, autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")
