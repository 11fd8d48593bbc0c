"""The local stack's address and keys, as `scripts/stack env` prints them (scripts/test exports
them); the tests need the stack up and fail, rather than skip, when it is not."""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Stack:
    url: str
    db_url: str
    anon_key: str
    service_role_key: str
    jwt_secret: str
    feed_url: str  # the loopback feed server (scripts/local/feed_server.py)

    def functions_url(self, name: str) -> str:
        return f"{self.url}/functions/v1/{name}"


def stack_from_env() -> Stack:
    """The stack of STACK_PG_PORT / STACK_API_PORT (or the environment scripts/test exports)."""
    if "FEED_SERVER_URL" not in os.environ:
        out = subprocess.run(
            [str(ROOT / "scripts" / "stack"), "env"], capture_output=True, text=True, check=True
        ).stdout
        for line in out.splitlines():
            # shell-quoted (printf %q: the DB URL's `?` comes as `\?`): unquote as the shell would
            key, _, value = shlex.split(line.removeprefix("export "))[0].partition("=")
            os.environ[key] = value
    return Stack(
        url=os.environ["SUPABASE_URL"],
        db_url=os.environ["SUPABASE_DB_URL"],
        anon_key=os.environ["SUPABASE_ANON_KEY"],
        service_role_key=os.environ["SUPABASE_SERVICE_ROLE_KEY"],
        jwt_secret=os.environ["SUPABASE_JWT_SECRET"],
        feed_url=os.environ["FEED_SERVER_URL"],
    )


@pytest.fixture(scope="session")
def stack() -> Stack:
    return stack_from_env()


@pytest.fixture(scope="module")
def conn(stack):
    """An autocommit connection to the stack's database, as its owner (postgres)."""
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        yield conn
