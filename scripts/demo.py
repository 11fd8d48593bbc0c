"""The readable end of `scripts/demo`: run the scheduled daily batch through its real path (the
pg_cron job's own command -> net.http_post -> gateway -> daily-batch), then show the day's top
games, one real-time `predict` call and one Powerball ticket, as the mobile app would see them."""

from __future__ import annotations

import json
import os
import time

import psycopg
from rich.console import Console
from rich.table import Table
from supabase import create_client

console = Console(width=140)


def run_scheduled_batch(conn: psycopg.Connection) -> dict:
    """Executes the daily-batch cron job's command and waits for the pg_net stand-in's response."""
    command = conn.execute("select command from cron.job where jobname = 'daily-batch'").fetchone()
    if command is None:
        raise SystemExit(
            "the daily-batch schedule is missing: apply the migrations (scripts/stack up)"
        )
    request_id = conn.execute(command[0]).fetchone()[0]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        row = conn.execute(
            "select status_code, content, error_msg from net._http_response where id = %s",
            (request_id,),
        ).fetchone()
        if row:
            if row[0] != 200:
                raise SystemExit(f"daily-batch answered {row[0]}: {row[1] or row[2]}")
            return json.loads(row[1])
        time.sleep(0.2)
    raise SystemExit("no response from daily-batch within 120 s (see .stack/*/gateway.log)")


def top_games(conn: psycopg.Connection, run_date: str, model_version: str, limit: int = 10):
    return conn.execute(
        "select g.state, g.game_number, g.name, g.ticket_price::float8, p.expected_value,"
        " p.win_probability, h.top_prizes_left, p.ai_score, p.recommendation, p.reasoning"
        " from public.predictions p join public.games g on g.id = p.game_id"
        " left join public.historical_snapshots h on h.game_id = p.game_id"
        "  and h.snapshot_date = (p.features->>'snapshot_date')::date"
        " where p.prediction_date = %s and p.model_version = %s"
        " order by p.ai_score desc, g.id limit %s",
        (run_date, model_version, limit),
    ).fetchall()


def show_batch(batch: dict, rows: list) -> None:
    console.print(
        f"daily-batch for {batch['run_date']}: {batch['games']} active games,"
        f" {batch['predictions']['rows']} predicted ({batch['predictions']['inserted']} new,"
        f" {batch['predictions']['updated']} changed), {len(batch['skipped'])} skipped;"
        f" model {batch['model_version']} from the {', '.join(batch['model_source'])};"
        f" {batch['timings_ms']['total']} ms in the function"
    )
    for skipped in batch["skipped"][:5]:
        console.print(f"  skipped {skipped['state']}-{skipped['game_number']}: {skipped['reason']}")
    table = Table(title=f"top games by ai_score on {batch['run_date']} (net EV per ticket, $)")
    for column in ("game", "price", "net EV", "win prob", "top prizes left", "ai_score", "call"):
        table.add_column(column)
    for state, number, name, price, ev, win, top, score, call, _why in rows:
        table.add_row(
            f"{state}-{number} {name}",
            f"${price:.0f}",
            f"{ev:+.2f}",
            f"{win:.1%}",
            str(top),
            f"{score:.1f}",
            call,
        )
    console.print(table)
    console.print(
        "ai_score ranks each game's forecast return against all games; every game above still"
        " loses money on average (net EV < 0)."
    )
    for state, number, *_rest, why in rows[:3]:
        console.print(f"  {state}-{number}: {why}")


def show_predict(client, state: str, game_number: str) -> None:
    """Two calls: the first may include the function's cold start, the second is warm."""
    ms = []
    for _ in range(2):
        started = time.perf_counter()
        body = {"body": {"state": state, "game_number": game_number}}
        answer = json.loads(client.functions.invoke("predict", body))["result"]
        ms.append((time.perf_counter() - started) * 1000)
    p = answer["prediction"]
    console.print(
        f"\npredict {state}-{game_number} over HTTP in {ms[1]:.1f} ms (first call {ms[0]:.0f} ms)"
        f" (snapshot {answer['snapshot_date']}): ai_score {p['ai_score']:.1f}"
        f" -> {p['recommendation']}, net EV {p['expected_value']:+.2f}, win probability"
        f" {p['win_probability']:.1%}, confidence {p['confidence_level']:.0f}"
    )


def show_powerball(client) -> None:
    answer = json.loads(client.functions.invoke("powerball", {"body": {"count": 1, "seed": 7}}))
    ticket = answer["tickets"][0]
    console.print(
        f"\npowerball ticket (seed 7): {' '.join(f'{n:02d}' for n in ticket['white'])}"
        f"  PB {ticket['powerball']:02d}"
    )
    for name, skill in answer["skill_vs_uniform"].items():
        console.print(f"  {name}: {skill['summary']}")
    console.print(f"  {answer['disclaimer']}")


def main() -> int:
    with psycopg.connect(os.environ["SUPABASE_DB_URL"], autocommit=True) as conn:
        batch = run_scheduled_batch(conn)
        rows = top_games(conn, batch["run_date"], batch["model_version"])
    show_batch(batch, rows)
    client = create_client(os.environ["SUPABASE_URL"], os.environ["SUPABASE_ANON_KEY"])
    if rows:
        show_predict(client, rows[0][0], rows[0][1])
    show_powerball(client)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
