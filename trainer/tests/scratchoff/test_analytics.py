"""Scratch-off analytics: hand-computed games, every edge case, invariants."""

from __future__ import annotations

import math
import random
from dataclasses import astuple, replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.scratchoff.analytics import (
    GameMetrics,
    Tier,
    common_low_tiers,
    game_metrics,
    metrics_frame,
    sort_tiers,
)

# Price $2, 5,000 tickets printed. Common low tiers: the $2 tier alone holds 1,000 of 1,512
# printed prizes (>= half), so f = 400 / 1,000 = 0.4 and T = 2,000 tickets left.
GAME_A = [Tier(2.0, 1000, 400), Tier(5.0, 500, 250), Tier(100.0, 10, 5), Tier(1000.0, 2, 1)]


def test_hand_computed_game() -> None:
    m = game_metrics(GAME_A, 2.0, overall_odds=3.0, total_tickets_printed=5000)
    assert m.reason is None and m.ok
    assert m.fraction_left == pytest.approx(0.4, rel=1e-15)
    assert m.pct_sold == pytest.approx(0.6, rel=1e-15)
    assert m.tickets_left == pytest.approx(2000.0, rel=1e-15)
    # value left: 2*400 + 5*250 + 100*5 + 1000*1 = 3,550 dollars over 2,000 tickets
    assert m.gross_ev == pytest.approx(1.775, rel=1e-15)
    assert m.ev_per_dollar == pytest.approx(0.8875, rel=1e-15)
    assert m.net_ev == pytest.approx(-0.225, rel=1e-12)
    assert m.win_probability == pytest.approx(656 / 2000, rel=1e-15)
    assert m.top_prize_ratio == pytest.approx((1 / 2) / 0.4, rel=1e-15)
    assert m.top_prizes_left == 1 and m.top_prize_gone is False
    assert m.top_value_share == pytest.approx(1000 / 3550, rel=1e-15)
    assert m.tickets_printed == 5000 and m.t0_from_odds is False
    assert m.prizes_printed == 1512 and m.prizes_remaining == 656


def test_tickets_printed_from_odds_when_not_given() -> None:
    for missing in (None, float("nan"), 0.0):
        m = game_metrics(GAME_A, 2.0, overall_odds=3.0, total_tickets_printed=missing)
        assert m.ok and m.t0_from_odds is True
        assert m.tickets_printed == pytest.approx(3.0 * 1512)
        assert m.gross_ev == pytest.approx(3550 / (3.0 * 1512 * 0.4), rel=1e-15)


def test_common_low_tiers_at_exactly_half() -> None:
    tiers = sort_tiers([Tier(1.0, 50, 10), Tier(2.0, 30, 30), Tier(10.0, 20, 5)])
    assert common_low_tiers(tiers) == tiers[:1]  # 50 of 100 is "at least half"
    assert game_metrics(tiers, 1.0, None, 1000).fraction_left == pytest.approx(0.2)


def test_common_low_tiers_never_include_the_top_tier() -> None:
    # The tiers below the top hold only 20 of 120 printed prizes: all of them, not the top tier.
    tiers = sort_tiers([Tier(1.0, 10, 5), Tier(2.0, 10, 3), Tier(10.0, 100, 50)])
    assert common_low_tiers(tiers) == tiers[:2]
    m = game_metrics(tiers, 1.0, None, 1000)
    assert m.fraction_left == pytest.approx(8 / 20)
    assert m.top_prize_ratio == pytest.approx(0.5 / 0.4)


# Price $5, 10,000 tickets printed. Tier 1, the advertised top prize, is an annuity valued at
# $1,000 (2 printed, 1 left); a cash tier pays $2,000 (4 printed, all left). Of 1,506 printed
# prizes the $5 tier alone holds 1,000: f = 400 / 1,000 = 0.4, T = 4,000 tickets left; value
# left 5*400 + 20*250 + 1,000*1 + 2,000*4 = 16,000 dollars.
GAME_ANNUITY = [
    Tier(5.0, 1000, 400, 4),
    Tier(20.0, 500, 250, 3),
    Tier(1000.0, 2, 1, 1),
    Tier(2000.0, 4, 4, 2),
]


def _unnumbered(tiers: list[Tier]) -> list[Tier]:
    return [replace(t, tier_index=None) for t in tiers]


def test_top_tier_is_tier_1_even_below_a_cash_tier() -> None:
    m = game_metrics(GAME_ANNUITY, 5.0, None, 10_000)
    assert m.ok and m.fraction_left == pytest.approx(0.4, rel=1e-15)
    assert (m.top_prize_amount, m.top_prizes_printed, m.top_prizes_left) == (1000.0, 2, 1)
    assert m.top_prize_gone is False
    assert m.top_prize_ratio == pytest.approx((1 / 2) / 0.4, rel=1e-15)
    assert m.top_value_share == pytest.approx(1000 / 16_000, rel=1e-15)
    assert m.gross_ev == pytest.approx(16_000 / 4_000, rel=1e-15)
    # Without the index the largest prize is the top tier, as before.
    old = game_metrics(_unnumbered(GAME_ANNUITY), 5.0, None, 1e4)
    assert (old.top_prize_amount, old.top_prizes_left, old.top_value_share) == (2000.0, 4, 0.5)
    assert old.gross_ev == m.gross_ev  # the sums do not depend on which tier is on top


def test_top_tier_is_tier_1_among_tiers_of_the_same_amount() -> None:
    # Two tiers pay $1,000; tier 1 has fewer printed, so the (prize, printed, remaining) order
    # puts the other one last, where the largest-prize rule would have looked.
    tiers = [Tier(5.0, 1000, 400, 3), Tier(1000.0, 3, 3, 2), Tier(1000.0, 2, 0, 1)]
    m = game_metrics(tiers, 5.0, None, 10_000)
    assert (m.top_prize_amount, m.top_prizes_printed, m.top_prizes_left) == (1000.0, 2, 0)
    assert m.top_prize_gone is True and m.top_prize_ratio == 0.0 and m.top_value_share == 0.0
    unnumbered = game_metrics(_unnumbered(tiers), 5.0, None, 1e4)
    assert (unnumbered.top_prizes_printed, unnumbered.top_prizes_left) == (3, 3)
    refused = game_metrics(tiers, 5.0, None, None)  # no odds: refused, top prizes still follow
    assert refused.reason is not None and refused.top_prizes_left == 0


def test_common_low_tiers_are_the_other_tiers_from_the_lowest_prize() -> None:
    # Tier 1 pays $2.50 with 250 printed. The other tiers, lowest first: 100 + 100 + 100 printed
    # reach half of the 550 at the $3 tier, so all three: f = (50 + 40 + 30) / 300 = 0.4.
    tiers = sort_tiers(
        [Tier(1.0, 100, 50, 4), Tier(2.0, 100, 40, 3), Tier(3.0, 100, 30, 2), Tier(2.5, 250, 10, 1)]
    )
    assert common_low_tiers(tiers) == [tiers[0], tiers[1], tiers[3]]
    m = game_metrics(tiers, 1.0, None, 2000)
    assert m.fraction_left == pytest.approx(0.4, rel=1e-15)
    assert m.top_prize_ratio == pytest.approx((10 / 250) / 0.4, rel=1e-15)
    # As the largest prize, the $3 tier would be on top and the $2.50 tier a low tier.
    unnumbered = _unnumbered(tiers)
    assert game_metrics(unnumbered, 1.0, None, 2000).fraction_left == pytest.approx(100 / 450)


def test_tiers_numbered_without_a_tier_1_take_the_largest_prize() -> None:
    tiers = [Tier(t.prize, t.printed, t.remaining, n) for n, t in enumerate(GAME_A, start=2)]
    assert game_metrics(tiers, 2.0, 3.0, 5000) == game_metrics(GAME_A, 2.0, 3.0, 5000)


def test_win_probability_is_capped_at_one() -> None:
    # 5,000 prizes left but only 1,000 * 0.5 = 500 tickets by the printed count: capped at 1.
    m = game_metrics([Tier(1.0, 1000, 500), Tier(5.0, 9000, 4500)], 1.0, None, 1000)
    assert m.ok and m.win_probability == 1.0


def test_top_prize_gone() -> None:
    tiers = [*GAME_A[:3], Tier(1000.0, 2, 0)]
    m = game_metrics(tiers, 2.0, None, 5000)
    assert m.ok and m.top_prize_gone is True and m.top_prizes_left == 0
    assert m.top_prize_ratio == 0.0
    assert m.top_value_share == 0.0


def _assert_refused(m: GameMetrics, words: str) -> None:
    assert not m.ok
    assert words in m.reason
    for name in (
        "fraction_left",
        "tickets_left",
        "pct_sold",
        "gross_ev",
        "ev_per_dollar",
        "net_ev",
        "win_probability",
        "top_prize_ratio",
    ):
        assert getattr(m, name) is None, name


@pytest.mark.parametrize(
    ("tiers", "price", "odds", "printed", "words"),
    [
        ([], 2.0, 3.0, 5000, "no prize tiers"),
        (GAME_A, 0.0, 3.0, 5000, "price"),
        ([Tier(2.0, 1000, 0), *GAME_A[1:]], 2.0, 3.0, 5000, "sold out"),
        (GAME_A, 2.0, None, None, "tickets printed and odds not yet known"),
        (GAME_A, 2.0, float("nan"), 0, "not yet known"),
        ([*GAME_A, Tier(50.0, 0, 0)], 2.0, 3.0, 5000, "zero prizes printed"),
        ([Tier(10.0, 100, 40)], 10.0, 3.0, 5000, "one prize tier"),
        ([Tier(2.0, 10, 11), Tier(5.0, 10, 1)], 2.0, 3.0, 5000, "invalid tier"),
        ([Tier(2.0, 10, -1), Tier(5.0, 10, 1)], 2.0, 3.0, 5000, "invalid tier"),
        ([Tier(0.0, 10, 1), Tier(5.0, 10, 1)], 2.0, 3.0, 5000, "invalid tier"),
    ],
)
def test_edge_cases_are_refused_with_a_reason(tiers, price, odds, printed, words) -> None:
    _assert_refused(game_metrics(tiers, price, odds, printed), words)


def test_refused_game_still_reports_top_prizes_left() -> None:
    m = game_metrics(GAME_A, 2.0, None, None)
    assert m.top_prizes_left == 1 and m.top_prize_gone is False


def test_metrics_frame_one_row_per_game_day() -> None:
    rows = []
    for day in ("2026-01-01", "2026-01-02"):
        for t in GAME_A:
            rows.append(("TX", "1", "A", 2.0, 3.0, 5000.0, t.prize, t.printed, t.remaining, day))
        rows.append(("TX", "2", "B", 5.0, float("nan"), float("nan"), 5.0, 10, 5, day))
        rows.append(("TX", "2", "B", 5.0, float("nan"), float("nan"), 50.0, 1, 1, day))
    cols = ["state", "game_number", "game_name", "ticket_price", "overall_odds"]
    cols += ["total_tickets_printed", "prize_amount", "prizes_printed", "prizes_remaining"]
    frame = pd.DataFrame(rows, columns=[*cols, "snapshot_date"])
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    out = metrics_frame(frame.sample(frac=1.0, random_state=1))
    assert len(out) == 4
    a = out[out["game_number"] == "1"]
    assert a["reason"].isna().all()
    assert a["gross_ev"].tolist() == pytest.approx([1.775, 1.775])
    b = out[out["game_number"] == "2"]
    assert b["reason"].str.contains("not yet known").all()
    assert b["gross_ev"].isna().all()


def test_metrics_frame_takes_the_top_tier_from_tier_index() -> None:
    rows = [
        ("NY", "9", "Annuity", 5.0, None, 10_000.0, *astuple(t), "2025-10-13") for t in GAME_ANNUITY
    ]
    cols = ["state", "game_number", "game_name", "ticket_price", "overall_odds"]
    cols += ["total_tickets_printed", "prize_amount", "prizes_printed", "prizes_remaining"]
    frame = pd.DataFrame(rows, columns=[*cols, "tier_index", "snapshot_date"])
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    assert metrics_frame(frame)["top_prize_amount"].tolist() == [1000.0]
    without = metrics_frame(frame.drop(columns="tier_index"))  # an old canonical frame
    assert without["top_prize_amount"].tolist() == [2000.0]


# ---- properties ---------------------------------------------------------------------------------


@st.composite
def games(draw):
    n = draw(st.integers(1, 8))
    prizes = draw(
        st.lists(
            st.floats(0.5, 1e7, allow_nan=False, allow_infinity=False),
            min_size=n,
            max_size=n,
            unique=True,
        )
    )
    # Tier 1 (the advertised top prize) is any tier, or the tiers carry no index.
    top = draw(st.one_of(st.none(), st.integers(0, n - 1)))
    tiers = []
    for i, p in enumerate(prizes):
        printed = draw(st.integers(0, 10_000_000))
        remaining = draw(st.integers(0, printed))
        index = None if top is None else 1 if i == top else i + 2
        tiers.append(Tier(p, printed, remaining, index))
    price = draw(st.sampled_from([1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0]))
    odds = draw(st.one_of(st.none(), st.floats(1.0, 10.0)))
    t0 = draw(st.one_of(st.none(), st.integers(1, 100_000_000).map(float)))
    return tiers, price, odds, t0


@settings(max_examples=300, deadline=None)
@given(games(), st.randoms(use_true_random=False))
def test_invariants(game, rnd: random.Random) -> None:
    tiers, price, odds, t0 = game
    m = game_metrics(tiers, price, odds, t0)
    shuffled = list(tiers)
    rnd.shuffle(shuffled)
    assert game_metrics(shuffled, price, odds, t0) == m  # exact: same order, same sums
    top = [t for t in tiers if t.tier_index == 1] or [max(tiers, key=lambda t: t.prize)]
    if m.top_prize_amount is not None:
        assert (m.top_prize_amount, m.top_prizes_left) == (top[0].prize, top[0].remaining)
    if m.ok:
        assert 0.0 <= m.win_probability <= 1.0
        assert 0.0 <= m.pct_sold <= 1.0
        assert m.gross_ev >= 0.0
        assert m.net_ev == m.gross_ev - price
        assert 0.0 < m.fraction_left <= 1.0
        for v in (m.gross_ev, m.ev_per_dollar, m.top_prize_ratio, m.tickets_left):
            assert math.isfinite(v)
    else:
        assert isinstance(m.reason, str) and m.reason
