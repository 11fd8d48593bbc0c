"""Prize tiers and their exact odds against the published Powerball odds table."""

from __future__ import annotations

from fractions import Fraction

import pytest

from trainer.powerball.prizes import (
    TIERS,
    TOTAL_COMBINATIONS,
    expected_prize,
    match_tier,
    odds_table,
    overall_odds,
    prize,
    tier_probability,
)

# Powerball's published "1 in" odds, rounded to cents as published.
PUBLISHED = {
    "5+PB": 292_201_338.00,
    "5": 11_688_053.52,
    "4+PB": 913_129.18,
    "4": 36_525.17,
    "3+PB": 14_494.11,
    "3": 579.76,
    "2+PB": 701.33,
    "1+PB": 91.98,
    "PB": 38.32,
}
PRIZES = {
    "5+PB": None,
    "5": 1_000_000,
    "4+PB": 50_000,
    "4": 100,
    "3+PB": 100,
    "3": 7,
    "2+PB": 7,
    "1+PB": 4,
    "PB": 4,
}


def test_published_odds_table() -> None:
    table = odds_table()
    assert list(table) == list(PUBLISHED)
    for name, published in PUBLISHED.items():
        assert round(float(table[name]), 2) == published, name
    assert round(float(overall_odds()), 2) == 24.87


def test_exact_fractions() -> None:
    assert TOTAL_COMBINATIONS == 292_201_338
    assert odds_table()["5+PB"] == 292_201_338
    assert odds_table()["5"] == Fraction(292_201_338, 25)
    # the nine tiers plus every losing combination cover all outcomes exactly once
    losing = Fraction(0)
    from math import comb

    for m in range(6):
        for pb in (False, True):
            if (m, pb) not in {(t.whites, t.powerball) for t in TIERS}:
                n = comb(5, m) * comb(64, 5 - m) * (1 if pb else 25)
                losing += Fraction(n, TOTAL_COMBINATIONS)
    assert sum((tier_probability(t) for t in TIERS), Fraction(0)) + losing == 1


def test_prize_amounts() -> None:
    assert {t.name: t.prize for t in TIERS} == PRIZES


DRAW = ([3, 18, 27, 44, 61], 12)


@pytest.mark.parametrize(
    ("whites", "pb", "tier", "dollars"),
    [
        ([61, 44, 27, 18, 3], 12, "5+PB", 0.0),  # jackpot excluded by default
        ([3, 18, 27, 44, 61], 1, "5", 1_000_000.0),
        ([3, 18, 27, 44, 60], 12, "4+PB", 50_000.0),
        ([3, 18, 27, 44, 60], 13, "4", 100.0),
        ([3, 18, 27, 1, 2], 12, "3+PB", 100.0),
        ([3, 18, 27, 1, 2], 26, "3", 7.0),
        ([3, 18, 1, 2, 4], 12, "2+PB", 7.0),
        ([3, 1, 2, 4, 5], 12, "1+PB", 4.0),
        ([1, 2, 4, 5, 6], 12, "PB", 4.0),
        ([3, 18, 1, 2, 4], 11, None, 0.0),  # two whites alone win nothing
        ([1, 2, 4, 5, 6], 11, None, 0.0),
    ],
)
def test_ticket_tiers(whites: list[int], pb: int, tier: str | None, dollars: float) -> None:
    found = match_tier(whites, pb, *DRAW)
    assert (found.name if found else None) == tier
    assert prize(whites, pb, *DRAW) == dollars


def test_jackpot_value_is_explicit() -> None:
    assert prize(DRAW[0], DRAW[1], *DRAW, jackpot=20e6) == 20e6


@pytest.mark.parametrize(
    ("whites", "pb"),
    [([1, 2, 3, 4, 4], 1), ([1, 2, 3, 4, 70], 1), ([1, 2, 3, 4, 5], 27), ([1, 2, 3, 4], 1)],
)
def test_invalid_ticket_refused(whites: list[int], pb: int) -> None:
    with pytest.raises(ValueError):
        match_tier(whites, pb, *DRAW)


def test_expected_prize_without_jackpot() -> None:
    value = expected_prize()
    assert isinstance(value, Fraction)
    assert abs(float(value) - 0.31987) < 1e-4  # 16% of the $2 stake comes back, jackpot aside
    # a $1B jackpot adds 1e9 / 292,201,338 dollars
    assert expected_prize(10**9) - value == Fraction(10**9, 292_201_338)
