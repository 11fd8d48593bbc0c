"""The top tier is the advertised top prize (tier 1) on both writers, not merely the largest
amount. The shipped New York pair, bent the two ways a real game list can put its top prize:
game 1453's $2,500 tier relabelled "$2,000,000" (a cash tier above the advertised life prize,
valued at $1,040,000), and game 1464's second tier relabelled with its advertised top prize (two
tiers of that amount, the other one with more prizes printed: the order the analytics sort tiers
in puts it last). The `ingest` function (the TypeScript analytics) reads the pair from a loopback
server of this test's own under the test-only state code ZN; trainer.ingest (Python) loads the
same pair into a scratch database. Both store the same content (the replay's content hash), the
two games' top-tier metrics in historical_snapshots are tier 1's, and `predict` (which computes
the day's analytics from the stored tiers) answers with the same."""

from __future__ import annotations

import email.utils
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from feed_loop import content_hash, drop_state, ingest
from stack_data import ensure_loaded, http

from trainer.db import scratch_database
from trainer.ingest import ingest_files
from trainer.scratchoff.feeds.shipped import NY_DAY, new_york

STATE = "ZN"
ABOVE = ("1453", "$2,500", "$2,000,000")  # game, label, bent label: a cash tier above tier 1
TIED = "1464"  # its second tier gets the advertised top prize's label


def bent_pair() -> dict[str, bytes]:
    """The New York documents as named in the archive ({file name: bytes}), bent as above."""
    status_doc, list_doc = new_york()
    status = json.loads(status_doc.data)
    listing = json.loads(list_doc.data)
    top = next(r["top_prize_amount"] for r in listing["rows"] if r["game_number"] == TIED)
    tied = [r for r in status if r["game_number"] == TIED]
    assert tied[0]["prize_amount"] == top and int(tied[1]["total"]) > int(tied[0]["total"])
    tied[1]["prize_amount"] = top
    game, label, bent = ABOVE
    (row,) = [r for r in status if r["game_number"] == game and r["prize_amount"] == label]
    row["prize_amount"] = bent
    return {
        f"ny_prize_status_{NY_DAY}.json": json.dumps(status).encode(),
        f"ny_game_list_{NY_DAY}.json": json.dumps(listing).encode(),
    }


@pytest.fixture(scope="module")
def documents() -> dict[str, bytes]:
    return bent_pair()


@pytest.fixture(scope="module")
def feed_urls(documents) -> Iterator[list[str]]:
    """A LOCAL STAND-IN for New York's two URLs serving the bent pair (loopback, a free port),
    dated NY_DAY by Last-Modified as the state's servers date theirs."""
    # Midday: NY_DAY in any US time zone (the as-of is the Last-Modified day in the state's).
    day = datetime.fromisoformat(NY_DAY).replace(hour=12, tzinfo=UTC)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = documents.get(self.path.lstrip("/"))
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Last-Modified", email.utils.format_datetime(day, usegmt=True))
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield [f"http://127.0.0.1:{server.server_port}/{name}" for name in documents]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def ingested(stack, conn, feed_urls) -> Iterator[dict]:
    """The `ingest` function's run of the bent pair under ZN (removed afterwards)."""
    ensure_loaded(stack.db_url)  # first: its publish must not see ZN; predict needs the models
    drop_state(conn, STATE)
    conn.execute(
        "insert into public.feed_sources (state, layout, urls) values (%s, 'NY', %s)",
        (STATE, feed_urls),
    )
    try:
        yield ingest(stack, [STATE])[STATE]
    finally:
        drop_state(conn, STATE)


@pytest.fixture(scope="module")
def reference(stack, documents, tmp_path_factory) -> dict[str, str]:
    """trainer.ingest of the same pair, as archived files, into a scratch database."""
    folder: Path = tmp_path_factory.mktemp("bent_ny")
    for name, data in documents.items():
        (folder / name).write_bytes(data)
    with scratch_database("top_tier_reference", stack.db_url) as url:
        ingest_files(
            scratchoff=[str(folder / name) for name in documents],
            powerball=[],
            db_url=url,
            progress=lambda _m: None,
        )
        with psycopg.connect(url) as conn:
            return content_hash(conn, "NY")


def tiers_and_metrics(conn: psycopg.Connection, game: str) -> tuple[list[tuple], tuple]:
    tiers = conn.execute(
        "select t.tier_index, t.prize_amount::float8, t.prizes_printed, t.prizes_remaining"
        " from public.prize_tier_snapshots t join public.games g on g.id = t.game_id"
        " where g.state = %s and g.game_number = %s order by t.tier_index",
        (STATE, game),
    ).fetchall()
    metrics = conn.execute(
        "select h.top_prize_amount, h.top_prizes_printed, h.top_prizes_left, h.top_prize_ratio,"
        " h.fraction_left, h.top_value_share, h.gross_ev, h.reason"
        " from public.historical_snapshots h join public.games g on g.id = h.game_id"
        " where g.state = %s and g.game_number = %s",
        (STATE, game),
    ).fetchone()
    return tiers, metrics


def test_the_function_and_trainer_ingest_store_the_same_content(ingested, conn, reference):
    assert (ingested["outcome"], ingested["as_of"], ingested["error"]) == (
        "ingested",
        NY_DAY,
        None,
    )
    assert ingested["counts"]["games"]["inserted"] == 114
    assert content_hash(conn, STATE) == reference


def test_a_cash_tier_above_the_advertised_top_prize_is_not_the_top_tier(ingested, conn):
    tiers, m = tiers_and_metrics(conn, ABOVE[0])
    one = tiers[0]
    assert one[1] == 1_040_000.0 and max(t[1] for t in tiers) == 2_000_000.0  # tier 1 pays less
    top_amount, top_printed, top_left, ratio, f, share, gross, reason = m
    assert reason is None
    assert (top_amount, top_printed, top_left) == (one[1], one[2], one[3])
    assert ratio == pytest.approx((one[3] / one[2]) / f, rel=1e-12)
    value_left = sum(p * r for _i, p, _n, r in tiers)
    assert share == pytest.approx(one[1] * one[3] / value_left, rel=1e-12)
    games_row = conn.execute(
        "select top_prize_amount::float8, total_top_prizes, remaining_top_prizes from public.games"
        " where state = %s and game_number = %s",
        (STATE, ABOVE[0]),
    ).fetchone()
    assert games_row == (one[1], one[2], one[3])


def test_tier_1_is_the_top_tier_among_tiers_of_the_same_amount(ingested, conn):
    tiers, m = tiers_and_metrics(conn, TIED)
    one, two = tiers[0], tiers[1]
    assert one[1] == two[1] and two[2] > one[2]  # the same amount, more printed in tier 2
    assert m[:3] == (one[1], one[2], one[3])
    assert m[7] is None


def test_predict_computes_the_same_top_tier_from_the_stored_tiers(stack, ingested, conn):
    games = [ABOVE[0], TIED]
    status, _, body = http(
        stack.functions_url("predict"),
        {"games": [{"state": STATE, "game_number": g} for g in games], "date": NY_DAY},
        stack.anon_key,
    )
    assert status == 200, body
    for game, result in zip(games, body["results"], strict=True):
        _tiers, m = tiers_and_metrics(conn, game)
        a = result["analytics"]
        assert result["snapshot_date"] == NY_DAY and a["reason"] is None
        assert (a["top_prize_amount"], a["top_prizes_printed"], a["top_prizes_left"]) == m[:3]
        assert a["top_prize_ratio"] == pytest.approx(m[3], rel=1e-12)
        assert a["top_value_share"] == pytest.approx(m[5], rel=1e-12)
