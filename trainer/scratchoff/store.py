"""Scratch-off rows in PostgreSQL: games, prize_tiers and the day's analytics in
historical_snapshots (writes, in the caller's transaction), and the canonical frame read back.

Rows are upserted only where a value differs, so loading the same file twice changes nothing.
"""

from __future__ import annotations

import pandas as pd
import psycopg

from trainer.db import Counts, copy_rows, upsert
from trainer.scratchoff.analytics import METRIC_FIELDS, metrics_frame


def game_rows(tiers: pd.DataFrame) -> pd.DataFrame:
    """One row per (state, game_number): its attributes on the latest day it was seen."""
    latest = tiers[
        tiers["snapshot_date"]
        == tiers.groupby(["state", "game_number"])["snapshot_date"].transform("max")
    ]
    top = latest.sort_values("prize_amount").groupby(["state", "game_number"]).tail(1)
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


def write_scratchoff(conn: psycopg.Connection, tiers: pd.DataFrame) -> list[Counts]:
    """Upsert one validated file's games and prize tiers, in the caller's transaction."""
    games = game_rows(tiers)
    cur = conn.cursor()
    cur.execute(
        "create temp table stage_games (like public.games including defaults) on commit drop;"
        " alter table stage_games drop column id;"
        " create temp table stage_tiers (state text, game_number text, snapshot_date date,"
        " prize_amount numeric, prizes_printed bigint, prizes_remaining bigint) on commit drop"
    )
    copy_rows(cur, "stage_games", games)
    # first_seen never moves later than what the database already knew.
    cur.execute(
        "update stage_games s set first_seen = least(s.first_seen, g.first_seen),"
        " last_scraped_at = greatest(s.last_scraped_at, g.last_scraped_at)"
        " from public.games g where g.state = s.state and g.game_number = s.game_number"
    )
    game_columns = list(games.columns)
    counts = [
        Counts(
            "games",
            len(games),
            *upsert(cur, "public.games", "stage_games", game_columns, ["state", "game_number"]),
        )
    ]
    copy_rows(
        cur,
        "stage_tiers",
        tiers[
            [
                "state",
                "game_number",
                "snapshot_date",
                "prize_amount",
                "prizes_printed",
                "prizes_remaining",
            ]
        ].assign(snapshot_date=tiers["snapshot_date"].dt.date),
    )
    cur.execute(
        "create temp view stage_tier_rows as select g.id as game_id, t.snapshot_date,"
        " t.prize_amount, t.prizes_printed, t.prizes_remaining from stage_tiers t"
        " join public.games g using (state, game_number)"
    )
    counts.append(
        Counts(
            "prize_tiers",
            len(tiers),
            *upsert(
                cur,
                "public.prize_tiers",
                "stage_tier_rows",
                ["game_id", "snapshot_date", "prize_amount", "prizes_printed", "prizes_remaining"],
                ["game_id", "snapshot_date", "prize_amount"],
            ),
        )
    )
    cur.execute("drop view stage_tier_rows")
    counts.append(write_snapshots(cur, tiers))
    # A game is active when it is in its state's latest snapshot.
    cur.execute(
        "with latest as (select g.state, max(t.snapshot_date) as day from public.prize_tiers t"
        " join public.games g on g.id = t.game_id group by g.state)"
        " update public.games g set is_active = exists (select 1 from public.prize_tiers t"
        " where t.game_id = g.id and t.snapshot_date = latest.day)"
        " from latest where latest.state = g.state and g.is_active is distinct from exists"
        " (select 1 from public.prize_tiers t where t.game_id = g.id"
        " and t.snapshot_date = latest.day)"
    )
    return counts


SNAPSHOT_COLUMNS = ["reason", *METRIC_FIELDS]
INTEGER_METRICS = [
    "n_tiers",
    "top_prizes_printed",
    "top_prizes_left",
    "prizes_printed",
    "prizes_remaining",
]
BOOLEAN_METRICS = ["top_prize_gone", "t0_from_odds", "odds_published"]


def write_snapshots(cur: psycopg.Cursor, tiers: pd.DataFrame) -> Counts:
    """The day's analytics of every (game, day) in the file -> historical_snapshots."""
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
        "create temp table stage_snapshots (state text, game_number text, snapshot_date date,"
        f" {columns}) on commit drop"
    )
    copy_rows(cur, "stage_snapshots", rows)
    cur.execute(
        "create temp view stage_snapshot_rows as select g.id as game_id, s.snapshot_date,"
        f" {', '.join('s.' + c for c in SNAPSHOT_COLUMNS)} from stage_snapshots s"
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
    return Counts("historical_snapshots", len(rows), inserted, updated)


def read_scratchoff(conn: psycopg.Connection) -> pd.DataFrame:
    """The canonical scratch-off frame (trainer.scratchoff.load.SCRATCHOFF_COLUMNS) from the
    database."""
    frame = pd.read_sql_query(
        "select t.snapshot_date, g.state, g.game_number, g.name as game_name,"
        " g.ticket_price::float8 as ticket_price, g.overall_odds,"
        " g.total_tickets_printed::float8 as total_tickets_printed,"
        " t.prize_amount::float8 as prize_amount, t.prizes_printed, t.prizes_remaining"
        " from public.prize_tiers t join public.games g on g.id = t.game_id"
        " order by t.snapshot_date, g.state, g.game_number, t.prize_amount",
        conn,
    )
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).astype("datetime64[us]")
    return frame
