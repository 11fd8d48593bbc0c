"""Scratch-off rows in PostgreSQL: games, the per-day tiers in prize_tier_snapshots and the day's
analytics in historical_snapshots (writes, in the caller's transaction), and the canonical frame
read back. The app's derived names (games.status, the prize_tiers view of the latest day, the
snapshots' depletion rate, ...) are generated columns, views or kept by triggers: the database
keeps them, whoever writes.

Rows are upserted only where a value differs, so loading the same file twice changes nothing.

A game's attributes (overall odds, tickets printed) are kept from the `games` table when a file
lacks both (the Texas feed prints neither); a game first seen that way is stored with its tiers
and its day's analytics give the reason "tickets printed and odds not yet known". When a later
file (a canonical one) brings attributes that differ from the stored ones, the analytics of every
stored day of that game are recomputed with them, in the same transaction.

Writes are monotone in time (trainer/rules.py): a file older than what is stored fills the missing
days and never changes a game's current attributes (it only fills odds or tickets printed the
game lacks), active flag or last_scraped_at; a stored day is never rewritten; remaining counts
must fit between the stored neighbouring days. A price change between days is recorded as a
warning, and each day's historical_snapshots row keeps its own price.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import psycopg

from trainer.data import DataError, DataWarning
from trainer.db import Counts, copy_rows, upsert
from trainer.scratchoff.analytics import METRIC_FIELDS, metrics_frame


def game_rows(tiers: pd.DataFrame) -> pd.DataFrame:
    """One row per (state, game_number): its attributes on the latest day it was seen."""
    latest = tiers[
        tiers["snapshot_date"]
        == tiers.groupby(["state", "game_number"])["snapshot_date"].transform("max")
    ]
    top = latest[latest["tier_index"] == 1]  # the advertised top prize, not merely the largest
    first_seen = tiers.groupby(["state", "game_number"])["snapshot_date"].min()
    games = top.set_index(["state", "game_number"])
    return pd.DataFrame(
        {
            "name": games["game_name"],
            "ticket_price": games["ticket_price"],
            "overall_odds": games["overall_odds"],
            "total_tickets_printed": games["total_tickets_printed"].astype("Int64"),
            "top_prize_amount": games["prize_amount"],
            "total_top_prizes": games["prizes_printed"],
            "remaining_top_prizes": games["prizes_remaining"],
            "first_seen": first_seen.dt.date,
            "last_scraped_at": games["snapshot_date"].dt.tz_localize("UTC"),
        }
    ).reset_index()


TIER_VALUES = ["tier_index", "prize_label", "prize_amount", "prizes_printed", "prizes_remaining"]


Warn = Callable[[DataWarning], None]


def write_scratchoff(
    conn: psycopg.Connection, tiers: pd.DataFrame, warn: Warn | None = None
) -> list[Counts]:
    """Upsert one validated file's games and prize tiers, in the caller's transaction; DataError
    (before anything is written) when the file contradicts the stored history."""
    file = tiers.attrs.get("file", "(frame)")
    lines = tiers.attrs.get("lines")
    derived = tiers.attrs.get("odds_derived", {})
    cur = conn.cursor()
    tiers = with_stored_attributes(cur, tiers)
    cur.execute(
        "create temp table stage_games (like public.games including defaults) on commit drop;"
        " alter table stage_games drop column id;"
        " create temp table stage_tiers (line int, state text, game_number text,"
        " snapshot_date date, ticket_price float8, tier_index smallint, prize_label text,"
        " prize_amount numeric, prizes_printed bigint, prizes_remaining bigint) on commit drop"
    )
    copy_rows(
        cur,
        "stage_tiers",
        tiers[["state", "game_number", "snapshot_date", "ticket_price", *TIER_VALUES]].assign(
            line=lines if lines is not None and len(lines) == len(tiers) else None,
            snapshot_date=tiers["snapshot_date"].dt.date,
        ),
    )
    refuse_contradictions(cur, file)
    for warning in price_changes(cur, file):
        if warn is not None:
            warn(warning)
    games = game_rows(tiers)
    copy_rows(cur, "stage_games", games)
    # Older than what is stored: first_seen may move earlier, and attributes the game lacks (a
    # feed without odds stored it) are filled, odds and tickets printed being the game's for its
    # whole life; the rest stays current.
    cur.execute(
        "update public.games g set first_seen = s.first_seen from stage_games s"
        " where g.state = s.state and g.game_number = s.game_number"
        " and s.last_scraped_at < g.last_scraped_at and s.first_seen < g.first_seen"
        " returning g.state, g.game_number"
    )
    moved_back = set(cur.fetchall())
    cur.execute(
        "update public.games g set overall_odds = coalesce(g.overall_odds, s.overall_odds),"
        " total_tickets_printed = coalesce(g.total_tickets_printed, s.total_tickets_printed)"
        " from stage_games s where g.state = s.state and g.game_number = s.game_number"
        " and s.last_scraped_at < g.last_scraped_at"
        " and ((g.overall_odds is null and s.overall_odds is not null)"
        " or (g.total_tickets_printed is null and s.total_tickets_printed is not null))"
        " returning g.state, g.game_number"
    )
    filled = cur.fetchall()
    cur.execute(
        "delete from stage_games s using public.games g where g.state = s.state"
        " and g.game_number = s.game_number and s.last_scraped_at < g.last_scraped_at"
        " returning s.state, s.game_number"
    )
    older = set(cur.fetchall())
    cur.execute(
        "update stage_games s set first_seen = least(s.first_seen, g.first_seen)"
        " from public.games g where g.state = s.state and g.game_number = s.game_number"
    )
    keys = zip(games["state"], games["game_number"], strict=True)
    changed = attributes_changed(cur, games[[k not in older for k in keys]]) + filled
    game_columns = list(games.columns)
    inserted, updated = upsert(
        cur, "public.games", "stage_games", game_columns, ["state", "game_number"]
    )
    mark_odds_derived(cur, derived)
    counts = [Counts("games", len(games), inserted, updated + len(moved_back | set(filled)))]
    cur.execute(
        "create temp view stage_tier_rows as select g.id as game_id, t.snapshot_date,"
        f" {', '.join('t.' + c for c in TIER_VALUES)} from stage_tiers t"
        " join public.games g using (state, game_number)"
    )
    counts.append(
        Counts(
            "prize_tier_snapshots",
            len(tiers),
            *upsert(
                cur,
                "public.prize_tier_snapshots",
                "stage_tier_rows",
                ["game_id", "snapshot_date", *TIER_VALUES],
                ["game_id", "snapshot_date", "tier_index"],
            ),
        )
    )
    cur.execute("drop view stage_tier_rows")
    counts.append(write_snapshots(cur, tiers))
    if changed:
        counts.append(write_snapshots(cur, stored_tiers(cur, changed), "stage_restated"))
    # A game is active when it is in its state's latest snapshot.
    cur.execute(
        "with latest as (select g.state, max(t.snapshot_date) as day"
        " from public.prize_tier_snapshots t join public.games g on g.id = t.game_id"
        " group by g.state)"
        " update public.games g set is_active = exists (select 1 from public.prize_tier_snapshots t"
        " where t.game_id = g.id and t.snapshot_date = latest.day)"
        " from latest where latest.state = g.state and g.is_active is distinct from exists"
        " (select 1 from public.prize_tier_snapshots t where t.game_id = g.id"
        " and t.snapshot_date = latest.day)"
    )
    return counts


# The staged rows as the history checks' JSON (supabase/migrations/*_ingest_history_schema.sql).
STAGED_JSON = "(select coalesce(jsonb_agg(t), '[]') from stage_tiers t)"


def refuse_contradictions(cur: psycopg.Cursor, file: str) -> None:
    """DataError for the first staged row (by line) that would rewrite a stored day, or whose
    remaining count does not fit between the stored days around it (public.ingest_history_refusal,
    which the ingest function calls too)."""
    cur.execute(f"select * from public.ingest_history_refusal({STAGED_JSON})")
    found = cur.fetchone()
    if found is not None:
        raise DataError(file, found[0], found[1], found[2])


def price_changes(cur: psycopg.Cursor, file: str) -> list[DataWarning]:
    """Each staged game-day whose ticket price differs from the game's previous day, in the file
    or stored (public.ingest_price_changes; historical_snapshots keeps each day's price)."""
    cur.execute(f"select * from public.ingest_price_changes({STAGED_JSON})")
    return [
        DataWarning(
            file,
            line,
            "ticket_price",
            f"game {game} costs {price:g} on {day}, {before:g} on {before_day}"
            " (a price change: each day's metrics use that day's price)",
        )
        for line, game, day, price, before_day, before in cur.fetchall()
    ]


SNAPSHOT_COLUMNS = ["reason", *METRIC_FIELDS]
INTEGER_METRICS = [
    "n_tiers",
    "top_prizes_printed",
    "top_prizes_left",
    "prizes_printed",
    "prizes_remaining",
]
BOOLEAN_METRICS = ["top_prize_gone", "t0_from_odds", "odds_published"]


def write_snapshots(
    cur: psycopg.Cursor, tiers: pd.DataFrame, stage: str = "stage_snapshots"
) -> Counts:
    """The day's analytics of every (game, day) in `tiers` -> historical_snapshots."""
    metrics = metrics_frame(tiers)
    rows = metrics[["state", "game_number", "snapshot_date", *SNAPSHOT_COLUMNS]].copy()
    rows["snapshot_date"] = rows["snapshot_date"].dt.date
    for column in INTEGER_METRICS:
        rows[column] = rows[column].astype("Int64")
    for column in BOOLEAN_METRICS:
        rows[column] = rows[column].map({1.0: True, 0.0: False}).astype("boolean")
    columns = ", ".join(
        f"{c} {t}"
        for c, t in zip(
            SNAPSHOT_COLUMNS,
            ["text"]
            + [
                "bigint"
                if c in INTEGER_METRICS
                else "boolean"
                if c in BOOLEAN_METRICS
                else "float8"
                for c in METRIC_FIELDS
            ],
            strict=True,
        )
    )
    cur.execute(
        f"create temp table {stage} (state text, game_number text, snapshot_date date,"
        f" {columns}) on commit drop"
    )
    copy_rows(cur, stage, rows)
    cur.execute(
        "create temp view stage_snapshot_rows as select g.id as game_id, s.snapshot_date,"
        f" {', '.join('s.' + c for c in SNAPSHOT_COLUMNS)} from {stage} s"
        " join public.games g using (state, game_number)"
    )
    inserted, updated = upsert(
        cur,
        "public.historical_snapshots",
        "stage_snapshot_rows",
        ["game_id", "snapshot_date", *SNAPSHOT_COLUMNS],
        ["game_id", "snapshot_date"],
    )
    cur.execute("drop view stage_snapshot_rows")
    table = "historical_snapshots" + (" (restated)" if stage != "stage_snapshots" else "")
    return Counts(table, len(rows), inserted, updated)


ATTRIBUTES = ["overall_odds", "total_tickets_printed"]


def _stored_attributes(cur: psycopg.Cursor) -> pd.DataFrame:
    cur.execute(
        "select state, game_number, overall_odds, total_tickets_printed::float8 from public.games"
    )
    return pd.DataFrame(cur.fetchall(), columns=["state", "game_number", *ATTRIBUTES]).astype(
        {c: "float64" for c in ATTRIBUTES}
    )


def with_stored_attributes(cur: psycopg.Cursor, tiers: pd.DataFrame) -> pd.DataFrame:
    """Rows that carry neither attribute take the stored game's (a feed without them)."""
    bare = (tiers["overall_odds"].isna() & tiers["total_tickets_printed"].isna()).to_numpy()
    if not bare.any():
        return tiers
    stored = tiers[["state", "game_number"]].merge(
        _stored_attributes(cur), how="left", on=["state", "game_number"]
    )
    out = tiers.copy()
    for column in ATTRIBUTES:
        out[column] = np.where(bare, stored[column].to_numpy(), out[column].to_numpy())
    return out


def attributes_changed(cur: psycopg.Cursor, games: pd.DataFrame) -> list[tuple[str, str]]:
    """(state, game_number) of stored games whose attributes this file changes."""
    both = games[["state", "game_number", *ATTRIBUTES]].merge(
        _stored_attributes(cur), on=["state", "game_number"], suffixes=("", "_stored")
    )
    differs = np.zeros(len(both), dtype=bool)
    for column in ATTRIBUTES:
        now = both[column].astype("float64").to_numpy()
        before = both[f"{column}_stored"].to_numpy()
        differs |= ~((now == before) | (np.isnan(now) & np.isnan(before)))
    return list(zip(both["state"][differs], both["game_number"][differs], strict=True))


def stored_tiers(cur: psycopg.Cursor, games: list[tuple[str, str]]) -> pd.DataFrame:
    """Every stored day of these games as a canonical frame (the games' current attributes)."""
    return read_scratchoff(
        cur.connection,
        "where (g.state, g.game_number) in (select * from unnest(%s::text[], %s::text[]))",
        ([s for s, _g in games], [g for _s, g in games]),
    )


def read_scratchoff(conn: psycopg.Connection, where: str = "", params: tuple = ()) -> pd.DataFrame:
    """The canonical scratch-off frame (trainer.scratchoff.load: SCRATCHOFF_COLUMNS and
    TIER_COLUMNS) from the database, in the loader's order; each day at its own ticket price
    (historical_snapshots), the game's current one as a fallback."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas prefers SQLAlchemy; psycopg works
        frame = pd.read_sql_query(
            "select t.snapshot_date, g.state, g.game_number, g.name as game_name,"
            " coalesce(h.ticket_price, g.ticket_price::float8) as ticket_price, g.overall_odds,"
            " g.total_tickets_printed::float8 as total_tickets_printed,"
            " t.prize_amount::float8 as prize_amount, t.prizes_printed, t.prizes_remaining,"
            " t.tier_index::int8 as tier_index, t.prize_label"
            " from public.prize_tier_snapshots t join public.games g on g.id = t.game_id"
            " left join public.historical_snapshots h on h.game_id = t.game_id"
            f" and h.snapshot_date = t.snapshot_date {where}"
            " order by t.snapshot_date, g.state, g.game_number, t.prize_amount, t.tier_index",
            conn,
            params=params or None,
        )
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).astype("datetime64[us]")
    return frame


def mark_odds_derived(cur: psycopg.Cursor, derived: dict[tuple[str, str], bool]) -> None:
    """games.odds_derived of the feed's games that carry odds: True where the adapter derived
    them (the IGT layout), False where the state published them; unchanged rows are not touched."""
    if not derived:
        return
    states, numbers = zip(*derived, strict=True)
    cur.execute(
        "update public.games g set odds_derived = s.derived"
        " from unnest(%s::text[], %s::text[], %s::bool[]) as s(state, game_number, derived)"
        " where g.state = s.state and g.game_number = s.game_number"
        " and g.odds_derived is distinct from s.derived",
        (list(states), list(numbers), list(derived.values())),
    )
