"""The state feed adapters (trainer/scratchoff/feeds): each official layout -> canonical rows, the
New York label policy, the tier index, and refusals that name the document, row and column.
(The TypeScript port's agreement is parity_tests/test_feed_parity.py.)"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from trainer.data import DataError
from trainer.scratchoff.analytics import Tier, game_metrics
from trainer.scratchoff.feeds import FeedDocument, FeedError, detect_state, parse_feed
from trainer.scratchoff.feeds.ny import prize_dollars
from trainer.scratchoff.feeds.shipped import (
    IGT_DAY,
    MI_DAY,
    NY_DAY,
    florida,
    georgia,
    michigan,
    new_jersey,
    new_york,
    texas_days,
)


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
    with pytest.raises(FeedError, match='unknown feed layout for state "MN": known: TX, NY, NJ'):
        parse_feed("MN", new_york())
    with pytest.raises(FeedError, match="unknown feed layout: known: TX, NY, NJ"):
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


# ---- one odd game never sinks a state (issue 19) ------------------------------------------------


def test_texas_odd_game_is_dropped_with_a_warning_the_rest_loads() -> None:
    feed = parse_feed(
        "TX",
        _tx(
            HEADER + '1,"A",,5,"A CAR","10",3\n1,"A",,5,"TOTAL","10",3\n'
            '2,"B",,5,"5","10",4\n2,"B",,5,"TOTAL","10",4\n'
        ),
    )
    assert {r.game_number for r in feed.rows} == {"2"}
    assert feed.warnings == ['TX game 1: Prize Level "A CAR" cannot be valued; game not loaded']


def test_new_york_unknown_label_loads_every_other_game() -> None:
    status, listing = (json.loads(d.data) for d in new_york())
    odd = status[5]["game_number"]
    status[5]["prize_amount"] = "A NEW CAR"
    docs = [FeedDocument("status.json", json.dumps(status).encode()), new_york()[1]]
    feed = parse_feed("NY", docs, NY_DAY)
    games = {r.game_number for r in feed.rows}
    assert len(games) == 113 and odd not in games
    assert feed.warnings == [
        f'NY game {odd}: prize_amount "A NEW CAR" cannot be valued (known: cash, $N/WK/LIFE,'
        " $N/WEEK/LIFE, $N Annual Installments, FREE ...); game not loaded"
    ]


# ---- IGT instant-games layout: New Jersey's real answer, South Dakota, Georgia -------------------


@pytest.fixture(scope="module")
def nj_raw() -> dict:
    return json.loads(new_jersey()[0].data)


@pytest.fixture(scope="module")
def nj_rows() -> list:
    feed = parse_feed("NJ", new_jersey(), IGT_DAY)
    assert feed.warnings == []
    return feed.rows


def test_new_jersey_every_active_game_loads_with_derived_odds(nj_raw: dict, nj_rows: list) -> None:
    active = [g for g in nj_raw["games"] if g["validationStatus"] == "ACTIVE"]
    assert (len(nj_raw["games"]), len(active)) == (150, 116)
    assert {r.game_number for r in nj_rows} == {g["gameId"] for g in active}
    assert len(nj_rows) == sum(len(g["prizeTiers"]) for g in active)
    assert all(r.odds_derived for r in nj_rows) and {r.state for r in nj_rows} == {"NJ"}
    assert {r.snapshot_date for r in nj_rows} == {IGT_DAY}  # the caller's date: none in the payload
    for g in active:
        first = next(r for r in nj_rows if r.game_number == g["gameId"] and r.tier_index == 1)
        winning = sum(t["winningTickets"] for t in g["prizeTiers"])
        assert first.overall_odds == g["totalTicketsPrinted"] / winning
        assert first.total_tickets_printed == g["totalTicketsPrinted"]
        assert first.ticket_price == g["ticketPrice"] / 100


def _metrics(rows: list, number: str):  # noqa: ANN202 - a GameMetrics
    game = [r for r in rows if r.game_number == number]
    tiers = [Tier(r.prize_amount, r.prizes_printed, r.prizes_remaining, r.tier_index) for r in game]
    head = game[0]
    return game_metrics(tiers, head.ticket_price, head.overall_odds, head.total_tickets_printed)


def test_new_jersey_ev_and_win_probability_by_hand(nj_raw: dict, nj_rows: list) -> None:
    # Game 1428 "Cash In A Flash", $10 (ticketPrice 1000 cents), 2,425,320 tickets printed; its
    # tiers as the JSON gives them: prizeAmount cents, winningTickets, paidTickets.
    game = next(g for g in nj_raw["games"] if g["gameId"] == "1428")
    assert (game["ticketPrice"], game["totalTicketsPrinted"]) == (1000, 2425320)
    raw = [(t["prizeAmount"], t["winningTickets"], t["paidTickets"]) for t in game["prizeTiers"]]
    assert raw == [
        (2000, 121286, 117115),
        (2500, 40358, 38966),
        (4000, 60751, 58794),
        (5000, 40358, 39050),
        (10000, 60654, 58769),
        (20000, 6064, 5877),
        (50000, 1207, 1172),
    ]
    # Remaining = winning - paid: 4171, 1392, 1957, 1308, 1885, 187, 35 (sum 10,935).
    # All prizes printed: 330,678; the $20, $25, $40 tiers are the smallest prefix holding half
    # (222,395 >= 165,339), so the share left is f = (4171 + 1392 + 1957) / 222,395.
    tickets_left = 2425320 * (4171 + 1392 + 1957) / 222395
    money_left = 20 * 4171 + 25 * 1392 + 40 * 1957 + 50 * 1308 + 100 * 1885 + 200 * 187 + 500 * 35
    m = _metrics(nj_rows, "1428")
    assert m.reason is None
    assert m.gross_ev == pytest.approx(money_left / tickets_left, rel=1e-12)
    assert m.net_ev == pytest.approx(money_left / tickets_left - 10, rel=1e-12)
    assert m.win_probability == pytest.approx(10935 / tickets_left, rel=1e-12)
    first = next(r for r in nj_rows if r.game_number == "1428" and r.tier_index == 1)
    assert first.overall_odds == pytest.approx(2425320 / 330678, rel=1e-15)  # 1 in 7.33

    # Game 1447 "Cash Bash", $10, 3,152,940 printed: the same seven prizes.
    # remaining: 14514, 4761, 7042, 4635, 6845, 683, 130 (sum 38,610); prefix $20-$40 holds
    # 289,093 of 429,850 printed.
    tickets_left = 3152940 * (14514 + 4761 + 7042) / 289093
    money_left = 20 * 14514 + 25 * 4761 + 40 * 7042 + 50 * 4635 + 100 * 6845 + 200 * 683 + 500 * 130
    m = _metrics(nj_rows, "1447")
    assert m.gross_ev == pytest.approx(money_left / tickets_left, rel=1e-12)
    assert m.win_probability == pytest.approx(38610 / tickets_left, rel=1e-12)


def test_igt_free_ticket_and_annuity_tiers(nj_rows: list) -> None:
    game = {r.prize_label: r for r in nj_rows if r.game_number == "1364"}
    # tierType 16: "$2,000,000*" is valued at the state's cash value, prizeAmount 155430000 cents.
    assert game["$2,000,000*"].prize_amount == 1_554_300.0 and game["$2,000,000*"].tier_index == 1
    # tierType 2: a free $20 ticket is worth the ticket price.
    assert game["FREE TICKET"].prize_amount == 20.0


def test_south_dakota_and_georgia_read_the_same_layout(nj_rows: list) -> None:
    sd = parse_feed("SD", new_jersey(), IGT_DAY)
    assert [r.as_dict() | {"state": "NJ"} for r in sd.rows] == [r.as_dict() for r in nj_rows]
    ga = parse_feed("GA", georgia(), IGT_DAY)
    # Georgia's amounts are dollars x 10,000; its annuity amounts are 0: a "$N*" label gives the
    # dollars (undiscounted), a "$5,000 a Month/Life" label none: those three games are dropped.
    assert [w.split(":")[0] for w in ga.warnings] == [
        "GA game 1420",
        "GA game 1491",
        "GA game 1529",
    ]
    top = {r.game_number: r for r in ga.rows if r.tier_index == 1}
    assert top["1364"].prize_amount == 2_000_000.0

    # Every other tier has the same dollars as New Jersey's cents gave.
    def cash(rows: list) -> list:
        return sorted(
            (r.game_number, r.prize_label, r.prize_amount, r.prizes_printed)
            for r in rows
            if "*" not in r.prize_label and r.game_number not in ("1420", "1491", "1529")
        )

    assert cash(ga.rows) == cash(nj_rows)
    with pytest.raises(FeedError, match="the layout of NJ, SD, GA: name the state"):
        detect_state(new_jersey())


def test_igt_refuses_another_layout_naming_the_field(nj_raw: dict) -> None:
    with pytest.raises(FeedError) as err:
        parse_feed("NJ", new_york()[1:], IGT_DAY)
    assert (err.value.column, "missing") == ("games", "missing")
    games = json.loads(json.dumps(nj_raw))
    games["games"][7]["prizeTiers"][2]["winningTickets"] = "1,000"
    with pytest.raises(FeedError) as err:
        parse_feed("SD", [FeedDocument("g.json", json.dumps(games).encode())], IGT_DAY)
    assert (err.value.row, err.value.column) == (8, "prizeTiers[2].winningTickets")
    assert 'expected a whole number, found "1,000"' in str(err.value)


# ---- Michigan and Florida -----------------------------------------------------------------------


def test_michigan_joins_the_two_answers() -> None:
    feed = parse_feed("MI", michigan(), MI_DAY)
    assert feed.warnings == [] and {r.game_number for r in feed.rows} == {"316"}
    top = feed.rows[0]
    assert (top.tier_index, top.prize_amount, top.prizes_printed, top.prizes_remaining) == (
        1,
        500.0,
        500,
        415,
    )
    assert (top.ticket_price, top.overall_odds, top.odds_derived) == (1.0, 4.5, False)
    assert sum(r.prizes_printed for r in feed.rows) == 3_237_303  # the real element's sum


def test_michigan_game_missing_from_the_games_answer_is_dropped() -> None:
    prizes, games = (json.loads(d.data) for d in michigan())
    element = prizes["data"]["getRetailTopPrizesRemainingByGameType"][0]
    prizes["data"]["getRetailTopPrizesRemainingByGameType"].append(
        element | {"cms_game_igt_id": 1234}
    )
    docs = [FeedDocument("p.json", json.dumps(prizes).encode()), michigan()[1]]
    feed = parse_feed("MI", docs, MI_DAY)
    assert {r.game_number for r in feed.rows} == {"316"}
    assert feed.warnings == [
        "MI game 1234: cms_game_igt_id is not among getCMSGames' retail instant games;"
        " game not loaded"
    ]
    with pytest.raises(FeedError) as err:
        parse_feed("MI", list(reversed(michigan())), MI_DAY)
    assert err.value.column == "data.getRetailTopPrizesRemainingByGameType"


def test_florida_answer_and_its_checksum() -> None:
    feed = parse_feed("FL", florida(), "2026-09-01")
    assert [(r.game_number, r.tier_index, r.prize_amount) for r in feed.rows[:2]] == [
        ("1501", 1, 1_000_000.0),
        ("1501", 2, 500.0),
    ]
    assert feed.rows[0].overall_odds == 4.0 and feed.rows[-1].game_number == "1502"
    games = json.loads(florida()[0].data)
    games[1]["OddsTiers"][1]["PrizesRemaining"] += 1
    with pytest.raises(FeedError) as err:
        parse_feed("FL", [FeedDocument("fl.json", json.dumps(games).encode())], "2026-09-01")
    assert (err.value.row, err.value.column) == (2, "OddsTiers[1].TotalPrizes")
    with pytest.raises(FeedError) as err:
        parse_feed("FL", michigan()[:1], "2026-09-01")
    assert "expected an array of games" in str(err.value)
