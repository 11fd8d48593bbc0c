"""Powerball draws in PostgreSQL (powerball_draws), upserted in the caller's transaction."""

from __future__ import annotations

import pandas as pd
import psycopg

from trainer.db import Counts, copy_rows, upsert


def write_powerball(conn: psycopg.Connection, draws: pd.DataFrame) -> list[Counts]:
    cur = conn.cursor()
    cur.execute("create temp table stage_draws (like public.powerball_draws) on commit drop")
    rows = draws.assign(draw_date=draws["draw_date"].dt.date)
    rows["power_play"] = rows["power_play"].astype("Int64")
    copy_rows(cur, "stage_draws", rows)
    columns = list(rows.columns)
    return [
        Counts(
            "powerball_draws",
            len(rows),
            *upsert(cur, "public.powerball_draws", "stage_draws", columns, ["draw_date"]),
        )
    ]
