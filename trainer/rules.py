"""The rules every input passes at the door, and which of them refuse and which record (issue 13).

The numbers (bounds, lengths, the size limit, time zones, Powerball's draw days) live in
`supabase/functions/_shared/input_rules.json`, read by this module and by its TypeScript twin
`_shared/input_rules.ts`, so the trainer's ingest and the `ingest` edge function apply one rule set.

Refused (DataError naming the file, the row = line in the file with the header as line 1, and the
column; nothing is written):
- the file: more than `max_input_bytes` (64 MiB) once decompressed (read in chunks, so memory stays
  flat whatever the file expands to); empty (0 bytes); a header and no rows; a header column
  given twice; an unreadable or cut file; a missing column.
- a cell: blank where a value is required; not a number; not finite (inf, nan); outside its
  bounds (ticket price 0.01-1,000; prize 0.01-10^9; odds 1-10,000; counts 0-10^10, tickets
  printed 1-10^10); not whole where a count is; more than cent precision in a price or prize
  (1000.001 and 1000.004 would both be stored as 1000.00); text with a control character
  (U+0000-U+001F, U+007F-U+009F: NUL, escapes, tabs); text longer than its limit (game number 32,
  name 200); a state code without a lottery time zone below; a date that is not YYYY-MM-DD.
- a row: remaining > printed; a duplicate key; a game with two names, prices, odds or tickets
  printed on one day; prizes remaining above the same tier's count on the game's previous day in
  the file (claimed prizes do not come back: the file is out of order or wrong); a snapshot or
  draw dated beyond tomorrow in the state's time zone (Powerball: New York), so one future row
  cannot make a state's real games look ended.
- against the database: a stored day of a game whose tiers would change (history is not
  rewritten: a corrected day is loaded by deleting that day first, on purpose); prizes remaining
  above the stored previous day's or below the stored next day's (a gap filled from an older file
  must fit between its neighbours); a stored Powerball draw with other numbers.
- Powerball: a draw before 2015-10-07 (the current matrix), on a day Powerball does not draw
  (Wednesday and Saturday; Monday too from 2021-08-23), balls out of range or repeated, a Power
  Play other than 2, 3, 4, 5 or 10.

Recorded, not refused (a warning naming file, row and column in the ingest's report):
- a game's ticket price that changes between days (in the file, or against the stored days): the
  lottery can reprice a game; each day's metrics use that day's own price and the game's current
  price is its latest day's.

Neither (ingest is monotone in time): a file older than what is stored fills the missing days of
the history, and never changes a game's current attributes, its active flag or last_scraped_at
(it only fills odds or tickets printed the game lacks: a feed without them stored it).

A feed payload (an archived one here, a fetched one in the `ingest` function) passes the same
rules as its adapter's canonical rows: a refusal names the documents with " (canonical rows)" and
the canonical row. The function writes only a feed day newer than the state's latest stored day;
its refusals and warnings go to ingest_runs (error, warnings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

RULES_FILE = Path(__file__).resolve().parents[1] / "supabase/functions/_shared/input_rules.json"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass(frozen=True)
class Bounds:
    minimum: float
    maximum: float
    integer: bool
    cents: bool


@cache
def rules() -> dict:
    return json.loads(RULES_FILE.read_text())


def max_input_bytes() -> int:
    return int(rules()["max_input_bytes"])


def bounds(column: str) -> Bounds:
    b = rules()["numbers"][column]
    return Bounds(b["min"], b["max"], b.get("integer", False), b.get("cents", False))


def max_length(column: str) -> int:
    return int(rules()["text_max_length"][column])


def state_time_zone(state: str) -> str | None:
    return rules()["state_time_zones"].get(state)


def latest_allowed_date(time_zone: str, now: datetime | None = None) -> date:
    """Tomorrow in that time zone: a feed may carry tomorrow's date shortly before midnight."""
    now = now or datetime.now(ZoneInfo("UTC"))
    today = now.astimezone(ZoneInfo(time_zone)).date()
    return today + timedelta(days=int(rules()["future_days_allowed"]))


def powerball_time_zone() -> str:
    return rules()["powerball"]["time_zone"]


def powerball_matrix_start() -> date:
    return date.fromisoformat(rules()["powerball"]["matrix_start"])


def powerball_draw_days(day: date) -> list[str]:
    """The weekday names Powerball drew on in the period holding `day`."""
    periods = rules()["powerball"]["draw_days"]
    current = [p for p in periods if date.fromisoformat(p["from"]) <= day]
    return current[-1]["weekdays"] if current else periods[0]["weekdays"]


def is_powerball_draw_day(day: date) -> bool:
    return WEEKDAYS[day.weekday()] in powerball_draw_days(day)


def power_play_values() -> list[int]:
    return list(rules()["powerball"]["power_play"])
