"""The state feed adapters (trainer/scratchoff/feeds): each official layout -> canonical rows, the
New York label policy, the tier index, and refusals that name the document, row and column.
(The TypeScript port's agreement is parity_tests/test_feed_parity.py.)"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from trainer.data import DataError
from trainer.scratchoff.feeds import FeedDocument, FeedError, detect_state, parse_feed
from trainer.scratchoff.feeds.ny import prize_dollars
from trainer.scratchoff.feeds.shipped import NY_DAY, new_york, texas_days


@pytest.fixture(scope="module")
def tx_days() -> dict[str, FeedDocument]:
    return texas_days()


@pytest.fixture(scope="module")
def ny_rows() -> list:
    return parse_feed("NY", new_york(), NY_DAY).rows


def _tx(text: str) -> list[FeedDocument]:
    return [FeedDocument("scratchoff.csv", text.replace("\n", "\r\n").encode("latin-1"))]


HEADER = (
    '"Scratch-Off Prizes as of 07/04/2026"\n"Game Number","Game Name","Game Close Date",'
    '"Ticket Price","Prize Level","Total Prizes in Level","Prizes Claimed"\n'
)


def test_texas_day_as_canonical_rows() -> None:
    feed = parse_feed(
        "TX",
        _tx(
            HEADER + '2745,"Airstream® Dream",,5,"5","100",40\n'
            '2745,"Airstream® Dream",,5,"100000","5",1\n'
            '2745,"Airstream® Dream",,5,"50","20",20\n'
            '2745,"Airstream® Dream",,5,"TOTAL","125",61\n'
        ),
    )
    assert feed.state == "TX" and feed.as_of == "2026-07-04"
    got = [
        (r.tier_index, r.prize_label, r.prize_amount, r.prizes_printed, r.prizes_remaining)
        for r in feed.rows
    ]
    # Tier 1 is the largest prize; remaining = printed - claimed.
    assert got == [
        (1, "$100,000", 100000.0, 5, 4),
        (2, "$50", 50.0, 20, 0),
        (3, "$5", 5.0, 100, 60),
    ]
    row = feed.rows[0]
    assert row.game_name == "Airstream® Dream"  # latin-1
    assert (row.state, row.snapshot_date, row.ticket_price) == ("TX", "2026-07-04", 5.0)
    assert row.overall_odds is None and row.total_tickets_printed is None  # not in this feed


def test_every_shipped_texas_day_parses(tx_days: dict[str, FeedDocument]) -> None:
    assert len(tx_days) == 115
    assert list(tx_days)[0] == "2026-03-29" and list(tx_days)[-1] == "2026-07-21"
    for day, doc in tx_days.items():
        feed = parse_feed("TX", [doc])
        assert feed.as_of == day  # the title row's date is the file's day
        assert detect_state([doc]) == "TX"
        assert len({(r.game_number, r.tier_index) for r in feed.rows}) == len(feed.rows)


def test_texas_checksum_refuses_the_game_by_name() -> None:
    bad = HEADER + '2400,"$20 Million Supreme",,100,"150","10",5\n'
    bad += '2400,"$20 Million Supreme",,100,"TOTAL","11",5\n'
    with pytest.raises(FeedError) as err:
        parse_feed("TX", _tx(bad))
    e = err.value
    assert (e.row, e.column) == (4, "Total Prizes in Level")
    assert "game 2400 ($20 Million Supreme) refused" in str(e) and isinstance(e, DataError)


@pytest.mark.parametrize(
    ("text", "row", "column", "words"),
    [
        ("<html><body>Service Unavailable</body></html>", 1, None, "not a Texas scratchoff.csv"),
        ("", None, None, "empty file"),
        (HEADER + '1,"A",,5,"5","10",3\n', 3, None, "the file ends mid-game"),
        (HEADER + '1,"A",,5,"5","10"\n', 3, None, "expected 7 fields, found 6"),
        # the only game is odd (claims > prizes): dropped, and a day without a game is refused
        (HEADER + '1,"A",,5,"5","10",11\n1,"A",,5,"TOTAL","10",11\n', None, None, "11 > printed"),
        (HEADER + '1,"A",,5,"5","-1",0\n', 3, "Total Prizes in Level", "not a whole count"),
        (HEADER + '1,"A",13/01/2026,5,"5","1",0\n', 3, "Game Close Date", "not a MM/DD/YYYY"),
        (HEADER + '1,"A",,5,"5","1",0\n2,"B",,5,"5","1",0\n', 4, "Game Number", "no TOTAL row"),
        (HEADER + '1,"A,,5,"5","1",0\n', 3, None, "malformed CSV"),
    ],
)
def test_texas_refusals_name_the_row(text: str, row: int | None, column: str | None, words: str):
    with pytest.raises(FeedError) as err:
        parse_feed("TX", _tx(text))
    assert (err.value.row, err.value.column) == (row, column)
    assert words in str(err.value)


def test_unknown_layouts_are_refused_by_name() -> None:
    with pytest.raises(FeedError, match='unknown feed layout for state "MN": known: TX, NY'):
        parse_feed("MN", new_york())
    with pytest.raises(FeedError, match="unknown feed layout: known: TX, NY"):
        detect_state([FeedDocument("x.csv", b"snapshot_date,state\n")])
    assert detect_state(new_york()) == "NY"


@pytest.mark.parametrize(
    ("label", "dollars"),
    [
        ("$10,000", (10_000.0, False)),
        ("2,000", (2_000.0, False)),  # real: some labels lack the dollar sign
        ("$1K/WK/LIFE", (1_000 * 52 * 20, False)),  # 20 years of weekly payments
        ("$10,000/WEEK/LIFE", (10_000 * 52 * 20, False)),
        ("$10K/Wk/Life", (10_000 * 52 * 20, False)),
        ("$50K Annual Installments", (50_000 * 20, False)),  # "$1,000,000 GRANDE"
        ("$500K Annual Installments", (10_000_000.0, False)),  # "$10,000,000 CASH"
        ("FREE Take 5 FP", (1.0, True)),  # a free play: the game's own ticket price
        ("A NEW CAR", None),
    ],
)
def test_new_york_label_policy(label: str, dollars: tuple[float, bool] | None) -> None:
    assert prize_dollars(label, 1.0) == dollars


def test_new_york_snapshot_loads_every_game(ny_rows: list) -> None:
    games = Counter(r.game_number for r in ny_rows)
    assert len(games) == 114 and len(ny_rows) == 1236
    assert {r.snapshot_date for r in ny_rows} == {NY_DAY} and {r.state for r in ny_rows} == {"NY"}
    assert len({(r.game_number, r.tier_index) for r in ny_rows}) == 1236
    for number, n in games.items():
        assert sorted(r.tier_index for r in ny_rows if r.game_number == number) == list(
            range(1, n + 1)
        )


def test_new_york_equal_cash_tiers_both_load(ny_rows: list) -> None:
    # Six games print two tiers with the same cash figure ("$5K/WK/LIFE" and "$5,000"; "$1" and a
    # free $1 play): every tier loads under its own index.
    figures = {"1548": "$5,000", "1639": "$5,000", "1584": "$10,000", "1686": "$10,000"}
    for number, figure in figures.items():
        labels = [r.prize_label for r in ny_rows if r.game_number == number]
        assert figure in labels and "LIFE" in labels[0].upper()
    for number in ("1574", "1628"):
        ones = [r for r in ny_rows if r.game_number == number and r.prize_amount == 1.0]
        assert sorted(r.prize_label for r in ones) == ["$1", "FREE Take 5 FP"]
        assert len({r.tier_index for r in ones}) == 2


def test_new_york_top_tier_is_the_advertised_prize(ny_rows: list) -> None:
    top = {r.game_number: r for r in ny_rows if r.tier_index == 1}
    assert top["1453"].prize_label == "$1K/WK/LIFE" and top["1453"].prize_amount == 1_040_000
    assert top["1453"].prizes_remaining == 1
    # The game list's top_prize_remaining is truncated at the comma ("10" for 10,775): not used.
    assert top["1561"].prize_label == "$500" and top["1561"].prizes_remaining == 10775
    # A list that advertises a smaller prize than the largest tier: that prize is tier 1.
    status, listing = (json.loads(d.data) for d in new_york())
    for row in listing["rows"]:
        if row["game_number"] == "1464":
            row["top_prize_amount"] = "$200,000"
    docs = [
        FeedDocument("status.json", json.dumps(status).encode()),
        FeedDocument("list.json", json.dumps(listing).encode()),
    ]
    rows = [r for r in parse_feed("NY", docs, NY_DAY).rows if r.game_number == "1464"]
    assert [r.prize_label for r in rows[:3]] == ["$200,000", "$10,000,000", "$10,000"]


def test_new_york_tickets_printed_from_odds_without_free_tiers(ny_rows: list) -> None:
    first = {r.game_number: r for r in ny_rows if r.tier_index == 1}
    # 1453: odds 1 in 3.75 over all 9,422,304 prizes (no free tier).
    assert first["1453"].overall_odds == 3.75 and first["1453"].total_tickets_printed == 35333640
    # 1574: 1 in 4.69 counts the 11,075,486 cash prizes, not the 18,267,040 free plays.
    assert first["1574"].total_tickets_printed == 51944029


def test_new_york_refusals() -> None:
    with pytest.raises(FeedError, match="carries no date"):
        parse_feed("NY", new_york())
    with pytest.raises(FeedError, match="the game list missing"):
        parse_feed("NY", new_york()[:1], NY_DAY)
    status, listing = (json.loads(d.data) for d in new_york())
    status[0]["unpaid"] = "x"
    docs = [FeedDocument("status.json", json.dumps(status).encode()), new_york()[1]]
    with pytest.raises(FeedError) as err:
        parse_feed("NY", docs, NY_DAY)
    assert (err.value.file, err.value.row, err.value.column) == ("status.json", 1, "unpaid")


def test_archived_files_are_told_apart_for_ingest(tmp_path) -> None:
    from trainer.scratchoff.feeds.files import sources
    from trainer.scratchoff.feeds.shipped import NY_FILES, TX_ARCHIVE
    from trainer.scratchoff.load import TEXAS_FILE

    found = sources([TX_ARCHIVE, *NY_FILES, TEXAS_FILE])
    assert len(found) == 117  # 115 Texas days, one New York pair, one canonical file
    assert found[0].name.endswith("scratchoff_2026-03-29.csv") and found[0].cells is not None
    assert found[115].name.count(".json") == 2  # the pair, dated by its file names
    assert set(found[115].cells()["snapshot_date"]) == {NY_DAY}
    assert found[116].cells is None and found[116].path == TEXAS_FILE
    odd = tmp_path / "list.json"
    odd.write_text('{"rows": []}')
    with pytest.raises(FeedError, match="no YYYY-MM-DD in its name"):
        sources([odd])
    with pytest.raises(FeedError, match="unknown feed layout"):
        sources([odd], as_of=NY_DAY)[0].cells()
