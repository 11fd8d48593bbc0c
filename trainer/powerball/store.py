"""Powerball draws in PostgreSQL (powerball_draws), written in the caller's transaction. A stored
draw is never changed: a file that gives other numbers for a stored date is refused."""

from __future__ import annotations

import pandas as pd
import psycopg

from trainer.data import DataError
from trainer.db import Counts, copy_rows, upsert

DRAW_COLUMNS = ["white_1", "white_2", "white_3", "white_4", "white_5", "powerball", "power_play"]


def write_powerball(conn: psycopg.Connection, draws: pd.DataFrame) -> list[Counts]:
    cur = conn.cursor()
    cur.execute(
        "create temp table stage_draws (like public.powerball_draws) on commit drop;"
        " alter table stage_draws add column line int"
    )
    rows = draws.assign(draw_date=draws["draw_date"].dt.date)
    rows["power_play"] = rows["power_play"].astype("Int64")
    lines = draws.attrs.get("lines")
    copy_rows(
        cur, "stage_draws", rows.assign(line=lines if len(lines or []) == len(rows) else None)
    )
    refuse_changed_draws(cur, draws.attrs.get("file", "(frame)"))
    columns = list(rows.columns)
    return [
        Counts(
            "powerball_draws",
            len(rows),
            *upsert(cur, "public.powerball_draws", "stage_draws", columns, ["draw_date"]),
        )
    ]


def refuse_changed_draws(cur: psycopg.Cursor, file: str) -> None:
    """DataError for the first staged draw (by line) whose numbers differ from the stored draw of
    its date, naming the first column that differs."""
    differs = " ".join(f"when s.{c} is distinct from d.{c} then '{c}'" for c in DRAW_COLUMNS)
    cur.execute(
        f"select s.line, case {differs} end, s.draw_date::text,"
        " concat_ws(' ', d.white_1, d.white_2, d.white_3, d.white_4, d.white_5, 'PB', d.powerball,"
        " 'PP', coalesce(d.power_play::text, '-')),"
        " concat_ws(' ', s.white_1, s.white_2, s.white_3, s.white_4, s.white_5, 'PB', s.powerball,"
        " 'PP', coalesce(s.power_play::text, '-'))"
        " from stage_draws s join public.powerball_draws d using (draw_date)"
        f" where ({', '.join('s.' + c for c in DRAW_COLUMNS)})"
        f" is distinct from ({', '.join('d.' + c for c in DRAW_COLUMNS)})"
        " order by s.line nulls last limit 1"
    )
    found = cur.fetchone()
    if found is not None:
        line, column, day, stored, given = found
        raise DataError(
            file,
            line,
            column,
            f"the draw of {day} is stored as {stored}, the file says {given}"
            " (a stored draw is not changed)",
        )
