"""The readable end of `scripts/demo`.

`python scripts/demo.py history`: the history before the loop: the shipped Texas file up to
LOOP_DAYS days before its end (through trainer.ingest; it also gives the games their odds and
tickets printed, which the Texas feed lacks) and the Powerball draws.

`python scripts/demo.py`: the daily loop as production runs it. For each of the last LOOP_DAYS
shipped days the loopback feed server serves that day and the `ingest` pg_cron job's own command
runs (net.http_post -> gateway -> ingest: fetch, archive, validate, write); then the `daily-batch`
job's command for today. The shipped data ends months before today, so today's batch predicts
nothing and says why ("stale: latest data ..."); the top games are then shown from the batch for
the data's own date, under a title that names that date and its age. Then one real-time `predict`
call for that date and one Powerball ticket, as the mobile app would see them."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg
from local.feed_server import control
from rich.console import Console
from rich.table import Table
from supabase import ClientOptions, create_client

console = Console(width=140)
LOOP_DAYS = 3  # the last shipped days that arrive through the scheduled ingest


def load_history() -> None:
    from trainer.ingest import ingest_files
    from trainer.scratchoff.load import load_scratchoff

    frame = load_scratchoff()
    days = sorted(frame["snapshot_date"].unique())
    cutoff = days[-LOOP_DAYS - 1]
    history = frame[frame["snapshot_date"] <= cutoff]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"tx_scratchoff_tiers_to_{str(cutoff)[:10]}.csv"
        history.assign(snapshot_date=history["snapshot_date"].dt.strftime("%Y-%m-%d")).to_csv(
            path, index=False
        )
        ingest_files(scratchoff=[str(path)])


def run_job(conn: psycopg.Connection, name: str, timeout_s: float = 120) -> dict:
    """Executes the pg_cron job's own command and waits for the pg_net stand-in's response. The
    command starts a day once (public.start_daily_step); the demo replays several shipped days
    within one real day, and runs again, so it first records the outcome of the step's answered
    attempts and drops today's finished one (the functions' writes are idempotent). Its own attempt
    stays recorded: the recovery job does not start the day again."""
    command = conn.execute("select command from cron.job where jobname = %s", (name,)).fetchone()
    if command is None:
        raise SystemExit(f"the {name} schedule is missing: apply the migrations (scripts/stack up)")
    conn.execute("select public.settle_daily_step_runs()")
    conn.execute(
        "delete from public.daily_step_runs where step = %s and status <> 'pending'"
        " and run_date = (now() at time zone 'utc')::date",
        (name,),
    )
    request_id = conn.execute(command[0]).fetchone()[0]
    if request_id is None:
        raise SystemExit(f"{name} is running now (public.daily_step_status): try again shortly")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = conn.execute(
            "select status_code, content, error_msg from net._http_response where id = %s",
            (request_id,),
        ).fetchone()
        if row:
            if row[0] != 200:
                raise SystemExit(f"{name} answered {row[0]}: {row[1] or row[2]}")
            return json.loads(row[1])
        time.sleep(0.05)
    raise SystemExit(f"no response from {name} within {timeout_s} s (see .stack/*/gateway.log)")


def scheduled_ingest(conn: psycopg.Connection, feed_url: str) -> None:
    days = control(feed_url)["days"][-LOOP_DAYS:]
    for day in days:
        control(feed_url, day=day)
        answer = run_job(conn, "ingest")
        for run in answer["runs"]:
            games = run["counts"].get("games", {}).get("rows")
            what = {
                "ingested": f"ingested {run['rows']} prize tiers of {games} games",
                "same_day": "already stored: nothing written",
                "older": f"older than the stored {run['stored_as_of']}: nothing written",
                "failed": f"FAILED, nothing written: {run['error']}",
            }[run["outcome"]]
            console.print(
                f"  feed server on {day}: ingest {run['state']} as of {run['as_of']}: {what}"
            )
    control(feed_url, day=None)


def post(url: str, key: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def top_games(conn: psycopg.Connection, run_date: str, model_version: str, limit: int = 10):
    return conn.execute(
        "select g.state, g.game_number, g.name, g.ticket_price::float8, p.expected_value,"
        " p.win_probability, h.top_prizes_left, p.ai_score, p.recommendation, p.reasoning"
        " from public.predictions p join public.games g on g.id = p.game_id"
        " left join public.historical_snapshots h on h.game_id = p.game_id"
        "  and h.snapshot_date = p.data_as_of"
        " where p.prediction_date = %s and p.model_version = %s"
        " order by p.ai_score desc, g.id limit %s",
        (run_date, model_version, limit),
    ).fetchall()


def show_stale_batch(batch: dict) -> None:
    """Today's scheduled batch: what it did, and why nothing was predicted when the data is old."""
    console.print(
        f"scheduled daily-batch for {batch['run_date']} (today): {batch['games']} active games,"
        f" {batch['predictions']['rows']} predicted, {len(batch['skipped'])} skipped; data as of"
        f" {batch['data_as_of']}"
    )
    reasons: dict[str, int] = {}
    for skipped in batch["skipped"]:
        reasons[skipped["reason"]] = reasons.get(skipped["reason"], 0) + 1
    for reason, n in sorted(reasons.items(), key=lambda item: -item[1]):
        console.print(f"  {n} skipped: {reason}")


def show_batch(batch: dict, rows: list, today: str) -> None:
    age = (dt.date.fromisoformat(today) - dt.date.fromisoformat(batch["run_date"])).days
    console.print(
        f"\n[bold]The shipped data ends on {batch['run_date']}, {age} days before today"
        f" ({today}).[/bold] Below: the batch for that day, the data's own date; not a prediction"
        " for today."
    )
    console.print(
        f"daily-batch for {batch['run_date']}: {batch['games']} active games,"
        f" {batch['predictions']['rows']} predicted ({batch['predictions']['inserted']} new,"
        f" {batch['predictions']['updated']} changed), {len(batch['skipped'])} skipped;"
        f" model {batch['model_version']} from the {', '.join(batch['model_source'])};"
        f" {batch['timings_ms']['total']} ms in the function"
    )
    for skipped in batch["skipped"][:5]:
        console.print(f"  skipped {skipped['state']}-{skipped['game_number']}: {skipped['reason']}")
    table = Table(
        title=f"top games by ai_score as of {batch['run_date']} ({age} days old; net EV per"
        " ticket, $)"
    )
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


def show_predict(client, state: str, game_number: str, date: str) -> None:
    """Two calls: the first may include the function's cold start, the second is warm."""
    ms = []
    for _ in range(2):
        started = time.perf_counter()
        body = {"body": {"state": state, "game_number": game_number, "date": date}}
        answer = json.loads(client.functions.invoke("predict", body))["result"]
        ms.append((time.perf_counter() - started) * 1000)
    p = answer["prediction"]
    console.print(
        f"\npredict {state}-{game_number} over HTTP in {ms[1]:.1f} ms (first call {ms[0]:.0f} ms)"
        f" for {date} (data as of {answer['data_as_of']}): ai_score {p['ai_score']:.1f}"
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


def show_freshness(conn: psycopg.Connection) -> None:
    """The app's data-freshness badge (the data_freshness view, as anon reads it)."""
    table = Table(title="data_freshness (what the app's badge reads)")
    for column in ("state", "data as of", "age (days)", "stale", "last ingest", "last batch"):
        table.add_column(column)
    for state, as_of, age, stale, outcome, ingest_as_of, batch in conn.execute(
        "select state, data_as_of::text, data_age_days, stale, last_ingest_outcome,"
        " last_ingest_as_of::text, last_batch_date::text from public.data_freshness order by state"
    ).fetchall():
        table.add_row(
            state,
            str(as_of),
            str(age),
            "yes" if stale else "no",
            f"{outcome} ({ingest_as_of})",
            str(batch),
        )
    console.print(table)


def main() -> int:
    if sys.argv[1:] == ["history"]:
        load_history()
        return 0
    with psycopg.connect(os.environ["SUPABASE_DB_URL"], autocommit=True) as conn:
        scheduled_ingest(conn, os.environ["FEED_SERVER_URL"])
        today_batch = run_job(conn, "daily-batch")
        show_stale_batch(today_batch)
        data_day = max(today_batch["data_as_of"].values(), default=None)
        if data_day is None:
            raise SystemExit("no data: run scripts/demo from the start")
        batch = post(
            f"{os.environ['SUPABASE_URL']}/functions/v1/daily-batch",
            os.environ["SUPABASE_SERVICE_ROLE_KEY"],
            {"run_date": data_day},
        )
        rows = top_games(conn, batch["run_date"], batch["model_version"])
        show_batch(batch, rows, today_batch["run_date"])
        show_freshness(conn)
    # A cold function process on a busy machine can take seconds: wait as long as the batch does.
    options = ClientOptions(function_client_timeout=120)
    client = create_client(os.environ["SUPABASE_URL"], os.environ["SUPABASE_ANON_KEY"], options)
    if rows:
        show_predict(client, rows[0][0], rows[0][1], data_day)
    show_powerball(client)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
