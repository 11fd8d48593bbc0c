"""`python -m trainer ingest` of archived official payloads: the New York pair loads all 114 games
with analytics that match hand-computed values; a Texas feed day keeps the stored attributes; a
game first seen in the feed waits, with its stated reason, until a canonical file brings its
attributes, which restate its stored days; an unknown layout is refused. Needs the local stack."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from trainer.data import DataError
from trainer.db import connect, scratch_database
from trainer.ingest import ingest_files
from trainer.scratchoff.feeds.shipped import NY_FILES, TX_ARCHIVE
from trainer.scratchoff.load import load_scratchoff

NOT_YET = "tickets printed and odds not yet known"


def quiet_ingest(url: str, paths: list, **kwargs) -> dict[str, object]:
    counts = ingest_files(
        scratchoff=[str(p) for p in paths],
        powerball=[],
        db_url=url,
        progress=lambda _m: None,
        **kwargs,
    )
    return {c.table: c for c in counts}


def query(url: str, sql: str, *params) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def ny_db() -> str:
    with scratch_database(f"test_feed_ny_{os.getpid()}") as url:
        quiet_ingest(url, NY_FILES)
        yield url


def test_new_york_loads_every_game_with_analytics(ny_db: str) -> None:
    assert query(ny_db, "select count(*) from games where state = 'NY'") == [(114,)]
    assert query(ny_db, "select count(*) from prize_tier_snapshots") == [(1236,)]
    rows = query(ny_db, "select count(*), count(ev_per_dollar) from historical_snapshots")
    assert rows == [(114, 114)]  # every game gets analytics (no reason)
    # Advertised top prize: the life prize, valued by the policy, keeps its label.
    assert query(
        ny_db,
        "select g.top_prize_amount::float8, t.prize_label from games g join prize_tier_snapshots t"
        " on t.game_id = g.id and t.tier_index = 1 where g.game_number = '1453'",
    ) == [(1_040_000.0, "$1K/WK/LIFE")]
    # A second ingest of the same pair changes nothing.
    counts = quiet_ingest(ny_db, NY_FILES)
    assert all(c.inserted == 0 and c.updated == 0 for c in counts.values()), counts


def _metrics(url: str, game: str) -> tuple[float, float, float]:
    return query(
        url,
        "select h.gross_ev, h.net_ev, h.win_probability from historical_snapshots h"
        " join games g on g.id = h.game_id where g.game_number = %s",
        game,
    )[0]


def test_new_york_ev_and_win_probability_match_hand_computation(ny_db: str) -> None:
    # 1453 WIN FOR LIFE, $2, "1 in 3.75", no free tier. Tiers (P, N, R) from the payload, the top
    # prize "$1K/WK/LIFE" = 1,000 x 52 x 20. The $2 tier alone holds >= half of the 9,422,304
    # printed prizes, so it is the common low tier set: f = 413,370 / 5,141,930.
    tiers = [
        (1_040_000, 5, 1),
        (2500, 25, 1),
        (200, 249, 7),
        (100, 4750, 232),
        (40, 182380, 8492),
        (20, 364760, 14318),
        (15, 182380, 6734),
        (12, 182380, 7310),
        (10, 663104, 31608),
        (7, 267884, 12481),
        (5, 1288835, 76741),
        (4, 1143622, 64513),
        (2, 5141930, 413370),
    ]
    t0 = round(3.75 * sum(n for _p, n, _r in tiers))  # 35,333,640
    left = t0 * 413_370 / 5_141_930
    gross = sum(p * r for p, _n, r in tiers) / left
    win = sum(r for _p, _n, r in tiers) / left
    assert _metrics(ny_db, "1453") == pytest.approx((gross, gross - 2, win), rel=1e-12)
    assert gross == pytest.approx(1.3215134, rel=1e-7) and win == pytest.approx(0.2238334, rel=1e-6)

    # 1574 INSTANT TAKE 5, $1, "1 in 4.69" over the cash tiers only; the free play is worth $1.
    cash = [
        (5555, 95, 24),
        (500, 865, 102),
        (100, 4324, 320),
        (40, 16649, 967),
        (20, 207580, 7064),
        (10, 467120, 16495),
        (5, 2179460, 67371),
        (2, 2179607, 85818),
        (1, 6019786, 279188),
    ]
    free = (1, 18267040, 1031024)
    t0 = round(4.69 * sum(n for _p, n, _r in cash))  # 51,944,029: odds x cash prizes
    # Common low tiers from the lowest prize ($1 cash, then the free $1 play, ...): the $1 cash
    # tier (6.0M) and the free plays (18.3M) pass half of all 29.3M printed prizes.
    f = (279188 + 1031024) / (6019786 + 18267040)
    everything = [*cash, free]
    gross = sum(p * r for p, _n, r in everything) / (t0 * f)
    win = sum(r for _p, _n, r in everything) / (t0 * f)
    assert _metrics(ny_db, "1574") == pytest.approx((gross, gross - 1, win), rel=1e-12)

    # 1626 $1,000,000 GRANDE, $5: "$50K Annual Installments" = 20 x 50,000.
    top = query(ny_db, "select top_prize_amount::float8 from games where game_number = '1626'")
    assert top == [(1_000_000.0,)]


@pytest.fixture()
def tx_db() -> str:
    with scratch_database(f"test_feed_tx_{os.getpid()}") as url:
        yield url


def _canonical(tmp_path: Path, name: str, frame: pd.DataFrame) -> Path:
    path = tmp_path / name
    out = frame.assign(snapshot_date=frame["snapshot_date"].dt.strftime("%Y-%m-%d"))
    out.drop(columns=["tier_index", "prize_label"]).to_csv(path, index=False)
    return path


def _feed_day(tmp_path: Path, day: str) -> Path:
    import tarfile

    with tarfile.open(TX_ARCHIVE, "r:gz") as tar:
        data = tar.extractfile(f"scratchoff_{day}.csv").read()
    path = tmp_path / f"scratchoff_{day}.csv"
    path.write_bytes(data)
    return path


def test_texas_feed_keeps_attributes_and_a_new_game_waits_for_them(tx_db, tmp_path) -> None:
    canonical = load_scratchoff()
    days = sorted(canonical["snapshot_date"].unique())[:2]
    first, second = (pd.Timestamp(d).strftime("%Y-%m-%d") for d in days)
    day1 = canonical[canonical["snapshot_date"] == days[0]]
    new_game = "2400"  # on sale both days; held back from day 1 to arrive first by the feed
    quiet_ingest(tx_db, [_canonical(tmp_path, "day1.csv", day1[day1.game_number != new_game])])

    quiet_ingest(tx_db, [_feed_day(tmp_path, second)])
    attrs = query(tx_db, "select game_number, overall_odds, total_tickets_printed from games")
    known = {g: (o, t) for g, o, t in attrs}
    stored_day1 = day1.groupby("game_number")[["overall_odds", "total_tickets_printed"]].first()
    for game, (odds, printed) in known.items():
        if game == new_game:
            assert (odds, printed) == (None, None)
        else:  # the feed has neither; the stored attributes stay
            assert printed == stored_day1.loc[game, "total_tickets_printed"]
    reason = query(
        tx_db,
        "select h.reason from historical_snapshots h join games g on g.id = h.game_id"
        " where g.game_number = %s and h.snapshot_date = %s",
        new_game,
        second,
    )
    assert reason == [(NOT_YET,)]
    others = query(
        tx_db,
        "select count(*) from historical_snapshots where snapshot_date = %s and reason is null",
        second,
    )
    assert others[0][0] == len(known) - 1

    # The explicit path: a canonical file with the game's attributes (its day-1 rows) restates
    # every stored day of the game, so day 2 (from the feed) gets its analytics too.
    counts = quiet_ingest(
        tx_db, [_canonical(tmp_path, "attrs.csv", day1[day1.game_number == new_game])]
    )
    assert counts["historical_snapshots (restated)"].rows == 2
    got = query(
        tx_db,
        "select h.snapshot_date::text, h.reason, h.ev_per_dollar from historical_snapshots h"
        " join games g on g.id = h.game_id where g.game_number = %s order by 1",
        new_game,
    )
    assert [(d, r) for d, r, _ev in got] == [(first, None), (second, None)]

    # The feed's day equals the canonical file's day, tier for tier.
    day2 = canonical[canonical["snapshot_date"] == days[1]]
    stored = query(
        tx_db,
        "select g.game_number, t.tier_index, t.prize_label, t.prize_amount::float8,"
        " t.prizes_printed, t.prizes_remaining"
        " from prize_tier_snapshots t join games g on g.id = t.game_id"
        " where t.snapshot_date = %s order by 1, 2",
        second,
    )
    expected = sorted(
        day2[
            [
                "game_number",
                "tier_index",
                "prize_label",
                "prize_amount",
                "prizes_printed",
                "prizes_remaining",
            ]
        ].itertuples(index=False, name=None)
    )
    assert stored == expected


def test_an_unknown_layout_is_refused_and_nothing_is_written(tx_db, tmp_path) -> None:
    odd = tmp_path / "mn_scratch.csv"
    odd.write_text("Game,Prize,Left\n1,5,3\n")
    with pytest.raises(DataError, match="unknown feed layout .*known: TX, NY"):
        quiet_ingest(tx_db, [odd])
    assert query(tx_db, "select count(*) from games") == [(0,)]


def test_an_odd_game_is_dropped_and_its_warning_printed(tmp_path) -> None:
    import json

    from trainer.scratchoff.feeds.shipped import NY_DAY, new_york

    status, listing = (json.loads(d.data) for d in new_york())
    odd = status[5]["game_number"]
    status[5]["prize_amount"] = "A NEW CAR"
    paths = [tmp_path / f"ny_prize_status_{NY_DAY}.json", tmp_path / f"ny_game_list_{NY_DAY}.json"]
    paths[0].write_text(json.dumps(status))
    paths[1].write_text(json.dumps(listing))
    said: list[str] = []
    with scratch_database(f"test_feed_odd_{os.getpid()}") as url:
        ingest_files([str(p) for p in paths], [], url, progress=said.append)
        assert query(url, "select count(*) from games where state = 'NY'") == [(113,)]
        assert query(url, "select count(*) from games where game_number = %s", odd) == [(0,)]
    warned = [m for m in said if "A NEW CAR" in m]
    assert warned == [
        f'  warning: NY game {odd}: prize_amount "A NEW CAR" cannot be valued (known: cash,'
        " $N/WK/LIFE, $N/WEEK/LIFE, $N Annual Installments, FREE ...); game not loaded"
    ]


def test_new_jersey_loads_every_active_game_with_derived_odds_flagged() -> None:
    from trainer.scratchoff.feeds.shipped import NJ_FILE

    with scratch_database(f"test_feed_nj_{os.getpid()}") as url:
        quiet_ingest(url, [NJ_FILE])
        assert query(
            url,
            "select count(*), count(*) filter (where odds_derived) from games where state = 'NJ'",
        ) == [(116, 116)]
        assert query(url, "select count(*), count(gross_ev) from historical_snapshots") == [
            (116, 116)
        ]
        # Every other state's odds are published: the flag stays false for them.
        quiet_ingest(url, NY_FILES)
        assert query(url, "select count(*) from games where state = 'NY' and odds_derived") == [
            (0,)
        ]
        counts = quiet_ingest(url, [NJ_FILE])  # a second ingest changes nothing
        assert all(c.inserted == 0 and c.updated == 0 for c in counts.values()), counts
