"""Exact scratch-off arithmetic for one game on one day (DESIGN.md, Scratch-off analytics).

This module is the reference implementation that the edge functions' TypeScript port must match to
1e-9 relative, so the core is deliberately plain:

- `game_metrics(tiers, ticket_price, overall_odds, total_tickets_printed)` takes one game's tiers
  for one day as plain numbers (and each tier's tier_index when known) and returns a
  `GameMetrics`; no numpy or pandas inside.
- Tiers are first put in a fixed order (prize ascending, then printed, then remaining), and every
  sum is a left-to-right `acc += x` loop in that order. (Python 3.12's built-in `sum` of floats is
  compensated, JavaScript's reduce is not: an explicit loop is the same everywhere.) Counts are
  whole numbers below 2**53, so their sums are exact in both languages.
- An edge case never raises: it returns `GameMetrics` with `reason` set (why the game gets no
  prediction) and the prediction-worthy metrics left as None.

Definitions (P_i prize, N_i printed, R_i remaining, c price):

- Top tier: the advertised top prize, i.e. the tier with tier_index 1 (the feeds' and the
  canonical contract's numbering). It may pay less than another tier (an annuity valued below a
  cash tier) or the same as one. Tiers without an index (old canonical files, made-up games) or
  without a tier 1: the highest prize, ties to the last in the fixed order (most printed, then
  most remaining).
- Common low tiers: the other tiers, taken from the lowest prize up (the fixed order without the
  top tier), until they hold at least half of all printed prizes (the smallest such prefix); if the
  other tiers hold less than half, all of them. The set is empty only for a one-tier game, which
  then uses all tiers.
  Low tiers are what almost every sale is reported against, so their claimed share tracks the share
  of tickets sold; the top tier is left out so that `top_prize_ratio` compares two independent
  quantities.
- f = sum R_i / sum N_i over the common low tiers; tickets left T = T0 * f; pct_sold = 1 - f.
- T0 = total_tickets_printed when given and > 0, else overall_odds * sum N_i (all tiers).
- gross EV per ticket = sum P_i R_i / T; ev_per_dollar = gross / c; net EV = gross - c (dollars).
- win_probability = min(1, sum R_i / T).
- top_prize_ratio = (R_top / N_top) / f; top_prizes_left = R_top; top_prize_gone = R_top == 0.
- top_value_share = P_top R_top / sum P_i R_i (share of the remaining prize money in the top tier;
  0 when nothing is left).

Reasons (checked in this order; the first that applies is reported):
no prize tiers; ticket price not positive; invalid tier (negative or non-finite numbers, remaining >
printed, prize not positive); a tier with zero printed prizes; one prize tier; tickets printed
and odds not yet known (neither given); sold out (f = 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Tier:
    prize: float  # P_i, dollars
    printed: int  # N_i
    remaining: int  # R_i
    tier_index: int | None = None  # 1 = the advertised top prize; None when not known


@dataclass(frozen=True)
class GameMetrics:
    """One game's metrics on one day. `reason` is None when the game can be predicted; otherwise it
    says why not, and every Optional metric below is None."""

    reason: str | None
    n_tiers: int
    ticket_price: float
    top_prize_amount: float | None
    top_prizes_printed: int | None
    top_prizes_left: int | None  # R_top: safe to report even for a refused game
    top_prize_gone: bool | None
    prizes_printed: int | None  # sum N_i over all tiers
    prizes_remaining: int | None  # sum R_i over all tiers
    tickets_printed: float | None  # T0 as used
    t0_from_odds: bool | None  # True when T0 came from overall_odds * sum N_i
    odds_published: bool  # overall_odds was given
    fraction_left: float | None  # f
    tickets_left: float | None  # T
    pct_sold: float | None
    gross_ev: float | None  # dollars of prizes per ticket
    ev_per_dollar: float | None  # gross_ev / price
    net_ev: float | None  # gross_ev - price, dollars (negative for nearly every game)
    win_probability: float | None
    top_prize_ratio: float | None
    top_value_share: float | None

    @property
    def ok(self) -> bool:
        return self.reason is None


# Names of the numeric fields, in this order, for frames and for the TypeScript port.
METRIC_FIELDS = [
    "n_tiers",
    "ticket_price",
    "top_prize_amount",
    "top_prizes_printed",
    "top_prizes_left",
    "top_prize_gone",
    "prizes_printed",
    "prizes_remaining",
    "tickets_printed",
    "t0_from_odds",
    "odds_published",
    "fraction_left",
    "tickets_left",
    "pct_sold",
    "gross_ev",
    "ev_per_dollar",
    "net_ev",
    "win_probability",
    "top_prize_ratio",
    "top_value_share",
]


def sort_tiers(tiers: Iterable[Tier]) -> list[Tier]:
    """The fixed order every sum runs in: prize ascending, then printed, then remaining."""
    return sorted(tiers, key=lambda t: (t.prize, t.printed, t.remaining))


def _finite_positive(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def _tier_is_valid(t: Tier) -> bool:
    return (
        math.isfinite(t.prize)
        and t.prize > 0
        and t.printed >= 0
        and t.remaining >= 0
        and t.remaining <= t.printed
    )


def top_tier_position(tiers: Sequence[Tier]) -> int:
    """Where the top tier is in sorted, non-empty tiers: tier_index 1, else the highest prize (the
    last)."""
    for i in range(len(tiers) - 1, -1, -1):
        if tiers[i].tier_index == 1:
            return i
    return len(tiers) - 1


def common_low_tiers(tiers: Sequence[Tier]) -> list[Tier]:
    """The common low tiers of sorted tiers, lowest prize first."""
    if len(tiers) <= 1:
        return list(tiers)  # one tier: the other tiers are none, so all tiers
    top = top_tier_position(tiers)
    others = [*tiers[:top], *tiers[top + 1 :]]
    total = 0
    for t in tiers:
        total += t.printed
    running = 0
    for i, t in enumerate(others):
        running += t.printed
        if 2 * running >= total:  # integer comparison: exact, no rounding at the 50% line
            return others[: i + 1]
    return others


def fraction_left(tiers: Sequence[Tier]) -> float:
    """f over the common low tiers of sorted tiers (0.0 when they have nothing printed)."""
    printed = 0
    remaining = 0
    for t in common_low_tiers(tiers):
        printed += t.printed
        remaining += t.remaining
    if printed <= 0:
        return 0.0
    return remaining / printed


def tickets_printed(
    tiers: Sequence[Tier], overall_odds: float | None, total_tickets_printed: float | None
) -> tuple[float | None, bool]:
    """T0 and whether it came from the odds; (None, False) when neither is usable."""
    if _finite_positive(total_tickets_printed):
        return float(total_tickets_printed), False
    if _finite_positive(overall_odds):
        printed = 0
        for t in tiers:
            printed += t.printed
        if printed > 0:
            return float(overall_odds) * printed, True
    return None, False


def _refused(
    reason: str, tiers: Sequence[Tier], ticket_price: float, odds_published: bool
) -> GameMetrics:
    top = tiers[top_tier_position(tiers)] if tiers else None
    top_ok = top is not None and _tier_is_valid(top)
    return GameMetrics(
        reason=reason,
        n_tiers=len(tiers),
        ticket_price=ticket_price,
        top_prize_amount=top.prize if top_ok else None,
        top_prizes_printed=top.printed if top_ok else None,
        top_prizes_left=top.remaining if top_ok else None,
        top_prize_gone=(top.remaining == 0) if top_ok else None,
        prizes_printed=None,
        prizes_remaining=None,
        tickets_printed=None,
        t0_from_odds=None,
        odds_published=odds_published,
        fraction_left=None,
        tickets_left=None,
        pct_sold=None,
        gross_ev=None,
        ev_per_dollar=None,
        net_ev=None,
        win_probability=None,
        top_prize_ratio=None,
        top_value_share=None,
    )


def game_metrics(
    tiers: Iterable[Tier],
    ticket_price: float,
    overall_odds: float | None = None,
    total_tickets_printed: float | None = None,
) -> GameMetrics:
    """Every metric of DESIGN.md for one game on one day, or a refusal with its reason."""
    tiers = sort_tiers(tiers)
    odds_published = _finite_positive(overall_odds)
    if not tiers:
        return _refused("no prize tiers", tiers, ticket_price, odds_published)
    if not _finite_positive(ticket_price):
        return _refused("ticket price is not positive", tiers, ticket_price, odds_published)
    for t in tiers:
        if not _tier_is_valid(t):
            return _refused(
                f"invalid tier at prize {t.prize}: needs prize > 0 and 0 <= remaining <= printed",
                tiers,
                ticket_price,
                odds_published,
            )
    for t in tiers:
        if t.printed == 0:
            return _refused(
                f"tier at prize {t.prize} has zero prizes printed",
                tiers,
                ticket_price,
                odds_published,
            )
    if len(tiers) == 1:
        # f would be the top tier's own claimed share: tickets left could not be told apart from
        # top-prize claims, and top_prize_ratio would be 1 by construction.
        return _refused(
            "one prize tier: tickets left cannot be estimated apart from the top prize",
            tiers,
            ticket_price,
            odds_published,
        )
    t0, from_odds = tickets_printed(tiers, overall_odds, total_tickets_printed)
    if t0 is None:
        return _refused(
            "tickets printed and odds not yet known",
            tiers,
            ticket_price,
            odds_published,
        )
    f = fraction_left(tiers)
    if f <= 0.0:
        return _refused(
            "sold out: the common low tiers have no prizes left",
            tiers,
            ticket_price,
            odds_published,
        )

    printed = 0
    remaining = 0
    value_left = 0.0
    for t in tiers:
        printed += t.printed
        remaining += t.remaining
        value_left += t.prize * t.remaining
    top = tiers[top_tier_position(tiers)]
    tickets_left = t0 * f
    gross = value_left / tickets_left
    top_value = top.prize * top.remaining
    return GameMetrics(
        reason=None,
        n_tiers=len(tiers),
        ticket_price=float(ticket_price),
        top_prize_amount=top.prize,
        top_prizes_printed=top.printed,
        top_prizes_left=top.remaining,
        top_prize_gone=top.remaining == 0,
        prizes_printed=printed,
        prizes_remaining=remaining,
        tickets_printed=t0,
        t0_from_odds=from_odds,
        odds_published=odds_published,
        fraction_left=f,
        tickets_left=tickets_left,
        pct_sold=1.0 - f,
        gross_ev=gross,
        ev_per_dollar=gross / ticket_price,
        net_ev=gross - ticket_price,
        win_probability=min(1.0, remaining / tickets_left),
        top_prize_ratio=(top.remaining / top.printed) / f,
        top_value_share=top_value / value_left if value_left > 0.0 else 0.0,
    )


# ---- thin frame wrapper -------------------------------------------------------------------------

GAME_KEY = ["state", "game_number"]


def _none_if_nan(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def tiers_from_arrays(
    prize: Sequence[float],
    printed: Sequence[int],
    remaining: Sequence[int],
    tier_index: Sequence[int] | None = None,
) -> list[Tier]:
    """Tiers from parallel columns; without `tier_index` the tiers carry no index."""
    index = [None] * len(prize) if tier_index is None else [int(i) for i in tier_index]
    return [
        Tier(float(p), int(n), int(r), i)
        for p, n, r, i in zip(prize, printed, remaining, index, strict=True)
    ]


def frame_tier_index(frame: pd.DataFrame) -> np.ndarray | None:
    """A canonical frame's tier_index column, or None for a frame without one."""
    return frame["tier_index"].to_numpy() if "tier_index" in frame.columns else None


def iter_game_days(
    frame: pd.DataFrame,
) -> Iterable[tuple[str, str, pd.Timestamp, str, GameMetrics]]:
    """(state, game_number, snapshot_date, game_name, metrics) for every game-day of a canonical
    frame, sorted by game then day. The top tier is tier_index 1 when the frame has the column."""
    keys = [*GAME_KEY, "snapshot_date"]
    ordered = frame.sort_values([*keys, "prize_amount"], kind="stable").reset_index(drop=True)
    if ordered.empty:
        return
    prize = ordered["prize_amount"].to_numpy(dtype=np.float64)
    printed = ordered["prizes_printed"].to_numpy()
    remaining = ordered["prizes_remaining"].to_numpy()
    index = frame_tier_index(ordered)
    # Row offsets where a new (state, game, day) starts: plain slices instead of a slow groupby.
    starts = np.flatnonzero(~ordered.duplicated(subset=keys).to_numpy())
    ends = np.append(starts[1:], len(ordered))
    heads = ordered.iloc[starts]
    for (a, b), head in zip(zip(starts, ends, strict=True), heads.itertuples(), strict=True):
        m = game_metrics(
            tiers_from_arrays(
                prize[a:b], printed[a:b], remaining[a:b], None if index is None else index[a:b]
            ),
            float(head.ticket_price),
            _none_if_nan(head.overall_odds),
            _none_if_nan(head.total_tickets_printed),
        )
        yield head.state, head.game_number, head.snapshot_date, head.game_name, m


def metrics_row(m: GameMetrics) -> dict[str, float | str | None]:
    """`reason` plus every metric as a float (NaN where None; booleans as 0/1)."""
    d = asdict(m)
    row: dict[str, float | str | None] = {"reason": d["reason"]}
    for k in METRIC_FIELDS:
        v = d[k]
        row[k] = np.nan if v is None else float(v)
    return row


def metrics_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (state, game_number, snapshot_date) of a canonical frame: the key, game_name,
    `reason` (None when valid) and every metric."""
    rows = [
        {"state": s, "game_number": g, "snapshot_date": d, "game_name": name, **metrics_row(m)}
        for s, g, d, name, m in iter_game_days(frame)
    ]
    return pd.DataFrame(rows)
