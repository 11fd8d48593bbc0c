"""The bench's constants and bars, its log, statistics, the result table and small DB reads."""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .stack import Stack


ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "supabase" / "functions"
SHIM = ROOT / "scripts" / "local" / "edge_runtime_shim.ts"
SECTIONS = ["predict", "cold", "batch", "scale", "ingest", "feeds", "onnx", "native", "export"]
MB = 1024 * 1024
# The 50 US states: the Texas games are replicated under each code for the scale test.
STATE_CODES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)
STATES = STATE_CODES.split()
# Beyond 50 (scale, --games), made-up codes that are no US state: ZA, ZB, ...
EXTRA_CODES = [
    a + b
    for a in "ZYXWVUTSRQPONMLKJIHGFEDCBA"
    for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if a + b not in STATES
]
# A run_date before any snapshot: the batch loads its models and connects, and writes nothing.
EMPTY_RUN_DATE = "1970-01-01"

# Bars of DESIGN.md ("Bars"), in the units printed here; predict's by server (predict.py TARGETS).
BAR_P50_MS = {"gateway": 2.5, "direct": 1.5}  # at 1 connection
BAR_P99_MS = 25.0  # at 16 connections
BAR_MIN_RPS = {"gateway": 1500.0, "direct": 2000.0}  # at 16 connections
BAR_PEER_RATIO = 2.0  # predict's requests/s over the Python peer's, at 16 connections
BAR_CPU_MS = 0.8  # server CPU per predict (gateway + function + PostgreSQL)
BAR_MIN_REQUESTS = 5000
BAR_COLD_MS = {"builtin": 300.0, "web": 500.0}
BAR_BATCH_MS = 1000.0
# the daily batch's whole day: 1 s at 5,000 active games, 4 s at 20,000 (issue 21's targets)
BAR_BATCH_MS_PER_GAME = 0.2
BAR_BATCH_GAMES = 5000  # the smallest scale a target is set for
BAR_BATCH_CPU_MS = 1000.0  # per invocation
BAR_EXPORT_S = 180.0
BAR_ONNX_BYTES = 2 * MB
BAR_MEMORY_BYTES = 256 * MB  # RSS, per process
BAR_HEAP_BYTES = 150 * MB  # V8 heap + external, per function


def log_tail(path: Path, offset: int) -> str:
    """What a log file got after `offset` ("" when there is no file)."""
    if not path.exists():
        return ""
    with path.open("rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A measurement that could not be made (shown in the table; the exit code is 1)."""


# ---- statistics ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


# ---- the table ----------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    measured: str
    bar: str = ""
    ok: bool | None = None  # None: no bar (information)
    notes: str = ""

    @property
    def result(self) -> str:
        return "-" if self.ok is None else "pass" if self.ok else "FAIL"


@dataclass
class Bench:
    args: argparse.Namespace
    stack: Stack
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _frame: Any = None

    def row(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(Row(*args, **kwargs))

    def frame(self) -> Any:
        """The canonical Texas frame (loaded once)."""
        if self._frame is None:
            from trainer.scratchoff.load import load_scratchoff

            self._frame = load_scratchoff()
        return self._frame

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def render(rows: list[Row]) -> str:
    header = ["what", "measured", "bar", "result", "notes"]
    cells = [[r.what, r.measured, r.bar, r.result, r.notes] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "| " + " | ".join("-" * w for w in widths) + " |"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) + " |"
        for cell in cells
    ]
    return "\n".join([line, sep, *body])


def active_games(db_url: str) -> list[tuple[int, str, str]]:
    from trainer.db import connect

    with connect(db_url) as conn:
        return conn.execute(
            "select id, state, game_number from public.games where is_active order by id"
        ).fetchall()


def latest_snapshot(db_url: str) -> str:
    from trainer.db import connect

    with connect(db_url) as conn:
        row = conn.execute(
            "select max(t.snapshot_date)::text from public.prize_tier_snapshots t"
            " join public.games g on g.id = t.game_id where g.is_active"
        ).fetchone()
    if not row or row[0] is None:
        raise BenchError("no snapshot of an active game in the database")
    return row[0]
