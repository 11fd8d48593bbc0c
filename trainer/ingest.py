"""`python -m trainer ingest`: canonical files -> PostgreSQL (games, prize_tiers, the day's
analytics in historical_snapshots, powerball_draws).

Each file is validated completely before the database is touched, then written in one transaction:
all of it or nothing. Rows are upserted only where a value differs, so loading the same file twice
changes nothing (the counts printed say so).
"""

from __future__ import annotations

from pathlib import Path

from trainer.db import Counts, connect
from trainer.modeling import Progress, print_progress
from trainer.powerball.load import POWERBALL_FILE, load_powerball
from trainer.powerball.store import write_powerball
from trainer.scratchoff.load import TEXAS_FILE, load_scratchoff
from trainer.scratchoff.store import write_scratchoff


def ingest_files(
    scratchoff: list[str] | None = None,
    powerball: list[str] | None = None,
    db_url: str | None = None,
    progress: Progress = print_progress,
) -> list[Counts]:
    """Validate then load each file in its own transaction; None means the shipped file."""
    jobs = [(Path(p), load_scratchoff, write_scratchoff) for p in (scratchoff or [TEXAS_FILE])]
    jobs += [(Path(p), load_powerball, write_powerball) for p in (powerball or [POWERBALL_FILE])]
    counts: list[Counts] = []
    with connect(db_url) as conn:
        for path, load, write in jobs:
            progress(f"validating {path.name}")
            frame = load(path)  # raises DataError before anything is written
            progress(f"loading {len(frame)} rows from {path.name}")
            with conn.transaction():
                for c in write(conn, frame):
                    progress(f"  {c}")
                    counts.append(c)
    return counts
