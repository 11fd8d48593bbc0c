"""`python -m trainer ingest`: canonical files, or archived official feed payloads (a Texas
scratchoff.csv, a New York pair, a .tar.gz of them: trainer.scratchoff.feeds.files) -> PostgreSQL
(games, prize_tier_snapshots, the day's analytics in historical_snapshots, powerball_draws).
`--archive --state ST --from D --to D`: the state's fetches stored by the `ingest` function
(feed_payloads) re-read with its adapter as it is now (trainer.scratchoff.feeds.archive).

Each file is validated completely before the database is touched (trainer/rules.py: what is
refused, what is recorded as a warning), then checked against the stored history and written in
one transaction: all of it or nothing. Rows are upserted only where a value differs, so loading the
same file twice changes nothing (the counts printed say so); warnings are printed with them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from trainer.data import DataError
from trainer.db import Counts, connect
from trainer.modeling import Progress, print_progress
from trainer.powerball.load import POWERBALL_FILE, load_powerball
from trainer.powerball.store import write_powerball
from trainer.scratchoff.feeds import parse_feed
from trainer.scratchoff.feeds.archive import archived_fetches
from trainer.scratchoff.feeds.files import Source, odds_derived, rows_frame, sources
from trainer.scratchoff.load import TEXAS_FILE, load_scratchoff, validate_scratchoff
from trainer.scratchoff.store import write_scratchoff


def ingest_files(
    scratchoff: list[str] | None = None,
    powerball: list[str] | None = None,
    db_url: str | None = None,
    progress: Progress = print_progress,
    as_of: str | None = None,
) -> list[Counts]:
    """Validate then load each file (each day of a feed archive, each New York pair) in its own
    transaction; None means the shipped file, [] none. `as_of` dates feed documents whose names
    carry no YYYY-MM-DD. Warnings (trainer/rules.py) go to `progress`."""
    warn = partial(_say, progress)
    scratch = [TEXAS_FILE] if scratchoff is None else scratchoff
    draws = [POWERBALL_FILE] if powerball is None else powerball
    jobs = [
        (s.name, _loader(s, warn), partial(write_scratchoff, warn=warn))
        for s in sources([Path(p) for p in scratch], as_of)
    ]
    jobs += [(str(p), partial(load_powerball, Path(p)), write_powerball) for p in draws]
    counts: list[Counts] = []
    with connect(db_url) as conn:
        for name, load, write in jobs:
            label = ", ".join(Path(n).name for n in name.split(", "))
            progress(f"validating {label}")
            frame = load()  # raises DataError before anything is written
            progress(f"loading {len(frame)} rows from {label}")
            with conn.transaction():
                for c in write(conn, frame):
                    progress(f"  {c}")
                    counts.append(c)
    return counts


def ingest_archive(
    state: str,
    day_from: str,
    day_to: str,
    db_url: str | None = None,
    progress: Progress = print_progress,
) -> tuple[list[Counts], list[str]]:
    """Re-reads the archived fetches of `state` dated day_from..day_to with the adapter its
    feed source names now, each validated and written in its own transaction as a feed file is
    (a day already stored changes nothing). A fetch still refused is reported and skipped; the
    others load. Returns the counts and the refusals."""
    warn = partial(_say, progress)
    counts: list[Counts] = []
    refused: list[str] = []
    with connect(db_url) as conn:
        fetches = archived_fetches(conn, state.upper(), day_from, day_to)
        progress(f"{len(fetches)} archived fetches of {state.upper()} dated {day_from}..{day_to}")
        for fetch in fetches:
            try:
                feed = parse_feed(fetch.layout, fetch.documents, fetch.as_of_hint)
                cells = rows_frame(feed.rows, feed.warnings)
                frame = _loader(Source(fetch.name, lambda cells=cells: cells), warn)()
                # Validated as the adapter's state (its rules), stored under the source's code,
                # as the ingest function does.
                frame["state"] = state.upper()
                progress(f"loading {len(frame)} rows of {feed.as_of} from {fetch.name}")
                with conn.transaction():
                    for c in write_scratchoff(conn, frame, warn=warn):
                        progress(f"  {c}")
                        counts.append(c)
            except DataError as exc:
                refused.append(f"{fetch.name}: {exc}")
                progress(f"  refused: {exc}")
    return counts, refused


def _loader(source: Source, warn: Callable[[object], None]) -> Callable[[], pd.DataFrame]:
    """A canonical file through its loader; a feed payload through its adapter (whose warnings,
    the games it dropped, are printed), then the same validation at the door, whose rows are the
    adapter's canonical rows (FEED_ROWS)."""
    if source.cells is None:
        return lambda: load_scratchoff(source.path)
    cells = source.cells

    def load() -> pd.DataFrame:
        frame = cells()
        for warning in frame.attrs.get("warnings", []):
            warn(f"warning: {warning}")
        validated = validate_scratchoff(frame, f"{source.name}{FEED_ROWS}")
        validated.attrs["odds_derived"] = odds_derived(frame)
        return validated

    return load


# A feed's refusals and warnings name the row of its canonical rows (header = 1, games in order,
# tiers numbered), not a line of the document; the ingest function says the same
# (_shared/input_rules.ts FEED_ROWS).
FEED_ROWS = " (canonical rows)"


def _say(progress: Progress, what: object) -> None:
    progress(f"  {what}")
