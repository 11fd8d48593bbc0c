"""The real Supabase CLI (npm package `supabase`, pinned in scripts/setup, in .tools/) against
databases of the local stack, through the DB URL the stack prints (`?sslmode=disable`: the CLI
refuses a server without TLS otherwise).

A fresh database (`scripts/stack db` on two free ports: PostgreSQL bootstrapped as a hosted project
is before its migrations): `supabase db push --db-url` applies every file in supabase/migrations,
`supabase migration list --db-url` shows each one applied, and a second push changes nothing. The
running stack, whose migrations `scripts/stack up` applied itself, lists them all as applied too."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".tools" / "supabase-cli" / "node_modules" / ".bin" / "supabase"
MIGRATIONS = sorted(p.name.split("_")[0] for p in (ROOT / "supabase/migrations").glob("*.sql"))


def supabase(*args: str) -> str:
    assert CLI.exists(), "the Supabase CLI is missing: run scripts/setup"
    done = subprocess.run(
        [str(CLI), *args, "--workdir", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SUPABASE_TELEMETRY_DISABLED": "1"},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fresh_db() -> Iterator[str]:
    env = {**os.environ, "STACK_PG_PORT": str(free_port()), "STACK_API_PORT": str(free_port())}
    stack = str(ROOT / "scripts" / "stack")
    subprocess.run([stack, "db"], env=env, check=True, capture_output=True, timeout=180)
    try:
        out = subprocess.run([stack, "env"], env=env, check=True, capture_output=True, text=True)
        url = re.search(r"SUPABASE_DB_URL=(\S+)", out.stdout).group(1).replace("\\", "")
        yield url
    finally:
        subprocess.run([stack, "remove"], env=env, check=True, capture_output=True, timeout=120)


def applied(listing: str) -> list[str]:
    """The versions `migration list` shows both locally and on the database."""
    rows = re.findall(r"^\s*`?(\d{14})`?\s*\|\s*`?(\d{14})?`?\s*\|", listing, re.M)
    return [local for local, remote in rows if local == remote]


def history(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select version, name from supabase_migrations.schema_migrations order by version"
        ).fetchall()


def test_the_stack_prints_a_db_url_the_cli_accepts(stack):
    assert stack.db_url.endswith("?sslmode=disable")
    assert applied(supabase("migration", "list", "--db-url", stack.db_url)) == MIGRATIONS


def test_db_push_applies_every_migration_to_a_fresh_database_once(fresh_db):
    assert history(fresh_db) == []
    first = supabase("db", "push", "--db-url", fresh_db, "--yes")
    for version in MIGRATIONS:
        assert f"Applying migration {version}_" in first, first
    assert applied(supabase("migration", "list", "--db-url", fresh_db)) == MIGRATIONS
    recorded = history(fresh_db)
    assert [version for version, _ in recorded] == MIGRATIONS
    with psycopg.connect(fresh_db) as conn:
        jobs = conn.execute("select jobname from cron.job order by jobname").fetchall()
    assert ("daily-batch",) in jobs

    second = supabase("db", "push", "--db-url", fresh_db, "--yes")
    assert "Remote database is up to date" in second and "Applying" not in second, second
    assert history(fresh_db) == recorded
    print(
        f"\n[supabase cli] {supabase('--version').strip()}: db push applied {len(MIGRATIONS)}"
        f" migrations to a fresh database, migration list shows them applied, a second push"
        f" applied nothing; pg_cron jobs: {[j for (j,) in jobs]}"
    )
