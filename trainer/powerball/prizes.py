"""Powerball prize arithmetic: the nine tiers, their exact odds, a ticket's prize against a draw.

Odds are exact fractions: a ticket picks 5 of 69 white balls and 1 of 26 Powerballs, so of the
C(69,5) x 26 = 292,201,338 equally likely draws, C(5,m) C(64,5-m) x (1 if Powerball matched else 25)
match m whites with (or without) the Powerball. Prizes are the base prizes of a $2 ticket without
Power Play. The jackpot is pari-mutuel and varies by draw, so it has no fixed amount here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from math import comb

TICKET_PRICE = 2
WHITE_N, WHITE_PICK, RED_N = 69, 5, 26
TOTAL_COMBINATIONS = comb(WHITE_N, WHITE_PICK) * RED_N  # 292,201,338


@dataclass(frozen=True)
class Tier:
    name: str
    whites: int  # white balls matched
    powerball: bool  # Powerball matched
    prize: int | None  # dollars; None for the jackpot (varies by draw)


TIERS: tuple[Tier, ...] = (
    Tier("5+PB", 5, True, None),
    Tier("5", 5, False, 1_000_000),
    Tier("4+PB", 4, True, 50_000),
    Tier("4", 4, False, 100),
    Tier("3+PB", 3, True, 100),
    Tier("3", 3, False, 7),
    Tier("2+PB", 2, True, 7),
    Tier("1+PB", 1, True, 4),
    Tier("PB", 0, True, 4),
)
_BY_MATCH = {(t.whites, t.powerball): t for t in TIERS}


def tier_probability(tier: Tier) -> Fraction:
    """Exact chance that one ticket wins this tier in one draw."""
    whites = comb(WHITE_PICK, tier.whites) * comb(WHITE_N - WHITE_PICK, WHITE_PICK - tier.whites)
    reds = 1 if tier.powerball else RED_N - 1
    return Fraction(whites * reds, TOTAL_COMBINATIONS)


def odds_table() -> dict[str, Fraction]:
    """Tier name -> "1 in x" as an exact fraction x (the published table rounds x to cents)."""
    return {t.name: 1 / tier_probability(t) for t in TIERS}


def overall_odds() -> Fraction:
    """1 in x of winning any prize."""
    return 1 / sum((tier_probability(t) for t in TIERS), Fraction(0))


def _validate(whites: Iterable[int], powerball: int) -> frozenset[int]:
    chosen = frozenset(int(w) for w in whites)
    if len(chosen) != WHITE_PICK or not all(1 <= w <= WHITE_N for w in chosen):
        raise ValueError(f"need {WHITE_PICK} distinct white balls 1-{WHITE_N}, got {whites!r}")
    if not 1 <= int(powerball) <= RED_N:
        raise ValueError(f"Powerball must be 1-{RED_N}, got {powerball!r}")
    return chosen


def match_tier(
    ticket_whites: Iterable[int], ticket_pb: int, draw_whites: Iterable[int], draw_pb: int
) -> Tier | None:
    """The tier a ticket wins against a draw, or None."""
    mine = _validate(ticket_whites, ticket_pb)
    drawn = _validate(draw_whites, draw_pb)
    return _BY_MATCH.get((len(mine & drawn), int(ticket_pb) == int(draw_pb)))


def prize(
    ticket_whites: Iterable[int],
    ticket_pb: int,
    draw_whites: Iterable[int],
    draw_pb: int,
    jackpot: float = 0.0,
) -> float:
    """Dollars won by one $2 ticket; the jackpot counts as `jackpot` (default 0: excluded)."""
    tier = match_tier(ticket_whites, ticket_pb, draw_whites, draw_pb)
    if tier is None:
        return 0.0
    return float(jackpot) if tier.prize is None else float(tier.prize)


def prize_by_matches(white_matches: int, pb_match: bool, jackpot: float = 0.0) -> float:
    """Dollars for a match count (vectorisable helper for the backtest)."""
    tier = _BY_MATCH.get((int(white_matches), bool(pb_match)))
    if tier is None:
        return 0.0
    return float(jackpot) if tier.prize is None else float(tier.prize)


def expected_prize(jackpot: float = 0.0) -> Fraction:
    """Exact expected dollars won per $2 ticket by any pick (the jackpot valued at `jackpot`)."""
    total = Fraction(0)
    for tier in TIERS:
        value = Fraction(jackpot) if tier.prize is None else Fraction(tier.prize)
        total += value * tier_probability(tier)
    return total
