"""Fixtures of the tests that write to a database: a scratch database per test module (needs the
local stack), emptied before each test that asks for it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from trainer.db import connect, scratch_database


@pytest.fixture(scope="module")
def module_db() -> Iterator[str]:
    with scratch_database(f"test_hostile_{os.getpid()}") as url:
        yield url


@pytest.fixture()
def empty_db(module_db: str) -> str:
    with connect(module_db) as conn:
        conn.execute("truncate public.games, public.powerball_draws cascade")
    return module_db
