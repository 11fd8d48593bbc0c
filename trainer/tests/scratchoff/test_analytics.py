"""Scratch-off analytics: hand-computed games, every edge case, invariants."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.scratchoff.analytics import (
    GameMetrics,
    Tier,
    common_low_tier_count,
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
    assert common_low_tier_count(tiers) == 1  # 50 of 100 is "at least half"
    assert game_metrics(tiers, 1.0, None, 1000).fraction_left == pytest.approx(0.2)


def test_common_low_tiers_never_include_the_top_tier() -> None:
    # The tiers below the top hold only 20 of 120 printed prizes: all of them, not the top tier.
    tiers = sort_tiers([Tier(1.0, 10, 5), Tier(2.0, 10, 3), Tier(10.0, 100, 50)])
    assert common_low_tier_count(tiers) == 2
    m = game_metrics(tiers, 1.0, None, 1000)
    assert m.fraction_left == pytest.approx(8 / 20)
    assert m.top_prize_ratio == pytest.approx(0.5 / 0.4)


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
    tiers = []
    for p in prizes:
        printed = draw(st.integers(0, 10_000_000))
        remaining = draw(st.integers(0, printed))
        tiers.append(Tier(p, printed, remaining))
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
