"""Feed sources as lists of requests, through the gateway and the loopback feed server: Texas's
export, its listing and one page per listed game (a template over the listing's page ids) fill
the odds and tickets printed the export lacks, so a game is predicted from the day it first
appears (daily-batch); a run over its request cap fails, naming the cap, with what it fetched
archived (method and body kept); a day the live run refused is recovered by re-reading the archive
(`python -m trainer ingest --archive`) once its source is fixed.

Test-only state codes: ZC (Texas with pages), ZD (the export alone), ZE (a refused day)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from feed_loop import (
    TX_PATH,
    TX_WITH_PAGES,
    content_hash,
    counts,
    feed_control,
    ingest,
    request_sources,
    shipped_days,
)
from stack_data import http

from trainer.cli import main
from trainer.ingest import ingest_archive

# Games 2747 and 2753 first appear in the shipped export on 2026-07-19.
NEW_DAY = "2026-07-19"
NEW_GAMES = {"2747", "2753"}


def batch(stack, day: str) -> dict:
    status, _, body = http(
        stack.functions_url("daily-batch"), {"run_date": day}, stack.service_role_key, timeout=120
    )
    assert status == 200, body
    return body


def predicted(conn, state: str, day: str) -> set[str]:
    return {
        n
        for (n,) in conn.execute(
            "select g.game_number from public.predictions p join public.games g on g.id = p.game_id"
            " where g.state = %s and p.prediction_date = %s",
            (state, day),
        ).fetchall()
    }


def test_a_new_texas_game_is_predicted_from_its_first_day(stack, conn):
    days = shipped_days(stack.feed_url)
    before = days[days.index(NEW_DAY) - 1]
    rows = {"ZC": ("TX", TX_WITH_PAGES), "ZD": ("TX", [{"url": TX_PATH}])}
    with request_sources(conn, stack.feed_url, rows):
        for day in (before, NEW_DAY):
            feed_control(stack.feed_url, day=day)
            runs = ingest(stack, ["ZC", "ZD"])
            assert {s: r["outcome"] for s, r in runs.items()} == {
                "ZC": "ingested",
                "ZD": "ingested",
            }
        # One request per listed game: the export, the listing and its pages are archived.
        games = counts(conn, "ZC")["games"]
        assert len(runs["ZC"]["payload_ids"]) == 2 + len(
            conn.execute("select 1 from public.games where state = 'ZC' and is_active").fetchall()
        )
        first_seen = dict(
            conn.execute(
                "select game_number, first_seen::text from public.games where state = 'ZC'"
            ).fetchall()
        )
        assert {n for n, d in first_seen.items() if d == NEW_DAY} >= NEW_GAMES
        known = conn.execute(
            "select state, count(*) filter (where total_tickets_printed is not null),"
            " count(*) filter (where overall_odds is not null), count(*) from public.games"
            " where state in ('ZC', 'ZD') group by state order by state"
        ).fetchall()
        assert known[0][1] == known[0][3] == games and known[0][2] > 0
        assert known[1][1:3] == (0, 0)  # the export alone: neither is known
        # The pages' figures are the state's (the canonical file's values for these games).
        assert conn.execute(
            "select overall_odds, total_tickets_printed from public.games"
            " where state = 'ZC' and game_number = '2753'"
        ).fetchone() == (3.41, 14800925)
        body = batch(stack, NEW_DAY)
        assert predicted(conn, "ZC", NEW_DAY) >= NEW_GAMES
        assert not predicted(conn, "ZD", NEW_DAY) & NEW_GAMES
        reasons = {s["game_number"]: s["reason"] for s in body["skipped"] if s["state"] == "ZD"}
        assert reasons["2753"] == "tickets printed and odds not yet known"


def test_a_run_over_its_request_cap_fails_and_keeps_what_it_fetched(stack, conn):
    with request_sources(conn, stack.feed_url, {"ZC": ("TX", TX_WITH_PAGES)}, max_requests=5):
        run = ingest(stack, ["ZC"])["ZC"]
        assert run["outcome"] == "failed"
        assert run["error"].startswith("ZC: ") and "exceed max_requests 5" in run["error"]
        archived = conn.execute(
            "select url, method, request_body from public.feed_payloads where id = any(%s)"
            " order by array_position(%s::bigint[], id)",
            (run["payload_ids"], run["payload_ids"]),
        ).fetchall()
        assert [u.rsplit("/", 1)[1] for u, _m, _b in archived] == ["scratchoff.csv", "all.html"]
        assert {(m, b) for _u, m, b in archived} == {("GET", "")}
        assert counts(conn, "ZC")["games"] == 0


def test_a_request_list_the_function_cannot_follow_is_refused_by_name(stack, conn):
    bad = [{"url": TX_PATH}, {"url": "tx/details.html_{id}.html", "each": 1}]
    with request_sources(conn, stack.feed_url, {"ZC": ("TX", bad)}):
        run = ingest(stack, ["ZC"])["ZC"]
        assert run["outcome"] == "failed" and run["payload_ids"] == []
        assert run["error"] == "ZC: request 2, field 'each': not the index of an earlier request"


def test_a_refused_day_is_recovered_from_the_archive(stack, conn):
    """The live run reads Texas's export with the wrong adapter (its source names New York's
    layout) and refuses the day; the export is archived. Once the source names the right adapter,
    re-reading the archive loads the day exactly as a good live run does (ZD)."""
    days = shipped_days(stack.feed_url)
    rows = {"ZE": ("NY", [{"url": TX_PATH}]), "ZD": ("TX", [{"url": TX_PATH}])}
    with request_sources(conn, stack.feed_url, rows):
        feed_control(stack.feed_url, day=days[30])
        runs = ingest(stack, ["ZE", "ZD"])
        assert runs["ZE"]["outcome"] == "failed" and runs["ZE"]["as_of"] is None
        assert runs["ZD"]["outcome"] == "ingested"
        assert counts(conn, "ZE")["games"] == 0
        conn.execute("update public.feed_sources set layout = 'TX' where state = 'ZE'")
        # A refused run has no as-of: it is dated by its fetch, in the state's time zone.
        today = dt.datetime.now(ZoneInfo("America/New_York")).date().isoformat()
        loaded, refused = ingest_archive("ZE", today, today, stack.db_url, lambda _m: None)
        assert refused == [] and loaded
        assert content_hash(conn, "ZE") == content_hash(conn, "ZD")
        assert counts(conn, "ZE")["days"] == 1
        # Re-reading again (the command line) changes nothing.
        command = ["ingest", "--archive", "--state", "ZE", "--from", today, "--to", today]
        assert main([*command, "--db-url", stack.db_url]) == 0
        assert content_hash(conn, "ZE") == content_hash(conn, "ZD")
        again, _ = ingest_archive("ZE", today, today, stack.db_url, lambda _m: None)
        assert again and all(c.inserted == c.updated == 0 for c in again)
        # A state with nothing archived in the range: nothing to read, nothing refused.
        assert main([*command[:-4], "--from", "2001-01-01", "--to", "2001-01-02"]) == 0
