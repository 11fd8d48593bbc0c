"""PostgreSQL connections: the local stack by default, SUPABASE_DB_URL to point elsewhere."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
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
MIGRATIONS = sorted((REPO_ROOT / "supabase" / "migrations").glob("*.sql"))
# What a scratch database runs before the migrations: a hosted project's roles and grants, then
# pg_cron's stand-in (pg_cron installs only in its own database; the file says why).
SCRATCH_BOOTSTRAP = [
    REPO_ROOT / "scripts" / "local" / f for f in ("bootstrap.sql", "scratch_cron.sql")
]


@contextmanager
def scratch_database(name: str, url: str | None = None) -> Iterator[str]:
    """A new, empty database with the production schema (every migration, as the stack runs them;
    the schedule's jobs are recorded in pg_cron's stand-in and never run), dropped afterwards.
    Yields its URL."""
    base = url or db_url()
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"bad scratch database name {name!r}")
    with connect(base, autocommit=True) as admin:
        admin.execute(f"drop database if exists {name} with (force)")
        admin.execute(f"create database {name}")
    scratch = urlsplit(base)._replace(path=f"/{name}").geturl()  # keeps ?sslmode=...
    try:
        with connect(scratch, autocommit=True) as conn:
            for script in SCRATCH_BOOTSTRAP:
                conn.execute(script.read_text())
            for migration in MIGRATIONS:
                with conn.transaction():
                    conn.execute(migration.read_text())
        yield scratch
    finally:
        with connect(base, autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")


# ---- writing: the upsert every ingest uses --------------------------------------------------


@dataclass
class Counts:
    table: str
    rows: int
    inserted: int
    updated: int

    def __str__(self) -> str:
        unchanged = self.rows - self.inserted - self.updated
        return (
            f"{self.table}: {self.rows} rows, {self.inserted} inserted, {self.updated} updated,"
            f" {unchanged} unchanged"
        )


def copy_rows(cur: psycopg.Cursor, table: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(frame.columns)
    with cur.copy(f"copy {table} ({columns}) from stdin") as copy:
        for row in frame.itertuples(index=False):
            copy.write_row([None if pd.isna(v) else v for v in row])


def upsert(
    cur: psycopg.Cursor, table: str, staging: str, columns: list[str], key: list[str]
) -> tuple[int, int]:
    """insert .. on conflict update only rows whose values differ; returns (inserted, updated)."""
    values = [c for c in columns if c not in key]
    cur.execute(
        f"insert into {table} ({', '.join(columns)}) select {', '.join(columns)} from {staging}"
        f" on conflict ({', '.join(key)}) do update set"
        f" {', '.join(f'{c} = excluded.{c}' for c in values)}"
        f" where ({', '.join(f'{table}.{c}' for c in values)})"
        f" is distinct from ({', '.join(f'excluded.{c}' for c in values)})"
        " returning (xmax = 0)"
    )
    flags = [row[0] for row in cur.fetchall()]
    return sum(flags), len(flags) - sum(flags)
