"""Features and targets of the two scratch-off forecasts (DESIGN.md, Forecasts).

The core, `game_features` and `game_targets`, is a pure function of one game's daily metrics (see
trainer/scratchoff/analytics.py), written to be ported line for line to TypeScript:

- Days are whole numbers (days since 1970-01-01, `day_number`), so no date library is needed.
- The features of day t read only the game's snapshots on days t-14..t (WINDOW_DAYS) and the
  game's first_seen day: the edge function fetches exactly that much history. Anything outside the
  window is ignored even if passed in, so there is no look-ahead by construction (and a test checks
  it).
- A refused day (metrics with a `reason`) counts as a missing day. Day t itself must be valid,
  otherwise there are no features (and no prediction).
- No NaN, ever: a change over k days (k = 7 or 14) compares day t with the reference day s = t-k;
  when that day is missing, s is the earliest valid day in [t-k, t-1] and the change is scaled to k
  days (x(t) - x(s)) * k / (t - s); when there is none, the change is 0. `lag{k}_missing` is 1
  whenever s is not exactly t-k, so a tree can tell imputed changes from measured ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from trainer.scratchoff.analytics import GAME_KEY, GameMetrics, iter_game_days

WINDOW_DAYS = 14  # history a feature row may read: days t-14..t
HORIZON_DAYS = 14  # both targets look 14 days ahead
EPOCH = dt.date(1970, 1, 1)

FEATURE_NAMES = [
    "ticket_price",  # dollars
    "ev_per_dollar",  # gross EV per ticket / price, today
    "win_probability",  # any prize, today
    "pct_sold",
    "top_prize_ratio",  # (R_top / N_top) / f
    "top_prizes_left",
    "top_prize_gone",  # 0/1
    "top_value_share",  # share of remaining prize money in the top tier
    "top_prize_multiple",  # top prize / ticket price
    "odds_published",  # 0/1
    "t0_from_odds",  # 0/1: tickets printed derived from the odds
    "days_observed",  # t - first_seen + 1
    "lag7_missing",  # 0/1: no valid snapshot exactly 7 days ago
    "ev_change_7d",  # ev_per_dollar(t) - ev_per_dollar(t-7)
    "sales_velocity_7d",  # pct_sold gained per day over the last 7 days
    "top_prizes_claimed_7d",
    "lag14_missing",  # 0/1: no valid snapshot exactly 14 days ago
    "ev_change_14d_past",  # ev_per_dollar(t) - ev_per_dollar(t-14)
    "sales_velocity_14d",  # pct_sold gained per day over the last 14 days
    "top_prizes_claimed_14d_past",
    "top_prize_ratio_change_14d",
    "expected_top_claims_14d",  # 14 * sales_velocity_7d * R_top / f: top prizes sold at this pace
]
TARGETS = ["ev_change_14d", "top_prize_claim_14d"]


def day_number(day: dt.date | pd.Timestamp | str) -> int:
    """Days since 1970-01-01 (the TypeScript port: Date.UTC(y, m - 1, d) / 86400000)."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    if isinstance(day, pd.Timestamp):
        day = day.date()
    if isinstance(day, dt.datetime):
        day = day.date()
    return (day - EPOCH).days


def day_iso(day: int) -> str:
    """The inverse of day_number: YYYY-MM-DD."""
    return str((pd.Timestamp(0) + pd.Timedelta(days=int(day))).date())


def _reference_day(valid: Mapping[int, GameMetrics], t: int, k: int) -> tuple[int | None, bool]:
    """(reference day s for a k-day change, whether s is not exactly t-k)."""
    if (t - k) in valid:
        return t - k, False
    for s in range(t - k + 1, t):  # earliest valid day in the window
        if s in valid:
            return s, True
    return None, True


def _change(now: float, then: float | None, t: int, s: int | None, k: int) -> float:
    """now - then over k days, scaled to k days when s is nearer than t-k; 0 when no s."""
    if s is None or then is None:
        return 0.0
    return (now - then) * k / (t - s)


def _drop(now: float, then: float | None, t: int, s: int | None, k: int) -> float:
    """then - now over k days (claims: a count that only falls), scaled like `_change`."""
    if s is None or then is None:
        return 0.0
    return (then - now) * k / (t - s)


def game_features(
    history: Mapping[int, GameMetrics], t: int, first_seen: int
) -> list[float] | None:
    """The FEATURE_NAMES row of day t for one game, or None when day t has no valid metrics.

    history: day number -> that day's metrics, for any days (only t-14..t are read).
    first_seen: the day number the game was first seen (the games table's first_seen)."""
    valid = {d: m for d, m in history.items() if t - WINDOW_DAYS <= d <= t and m.reason is None}
    now = valid.get(t)
    if now is None:
        return None
    assert now.ev_per_dollar is not None and now.fraction_left is not None  # valid day
    epd, f, sold = now.ev_per_dollar, now.fraction_left, now.pct_sold
    r_top = float(now.top_prizes_left)

    s7, missing7 = _reference_day(valid, t, 7)
    s14, missing14 = _reference_day(valid, t, 14)
    m7 = valid[s7] if s7 is not None else None
    m14 = valid[s14] if s14 is not None else None

    def lagged(m: GameMetrics | None, name: str) -> float | None:
        return None if m is None else float(getattr(m, name))

    ev7 = _change(epd, lagged(m7, "ev_per_dollar"), t, s7, 7)
    sold7 = _change(sold, lagged(m7, "pct_sold"), t, s7, 7)
    top7 = _drop(r_top, lagged(m7, "top_prizes_left"), t, s7, 7)
    ev14 = _change(epd, lagged(m14, "ev_per_dollar"), t, s14, 14)
    sold14 = _change(sold, lagged(m14, "pct_sold"), t, s14, 14)
    top14 = _drop(r_top, lagged(m14, "top_prizes_left"), t, s14, 14)
    ratio14 = _change(now.top_prize_ratio, lagged(m14, "top_prize_ratio"), t, s14, 14)
    velocity7 = sold7 / 7.0
    velocity14 = sold14 / 14.0

    return [
        now.ticket_price,
        epd,
        now.win_probability,
        sold,
        now.top_prize_ratio,
        r_top,
        1.0 if now.top_prize_gone else 0.0,
        now.top_value_share,
        now.top_prize_amount / now.ticket_price,
        1.0 if now.odds_published else 0.0,
        1.0 if now.t0_from_odds else 0.0,
        float(max(1, t - first_seen + 1)),
        1.0 if missing7 else 0.0,
        ev7,
        velocity7,
        top7,
        1.0 if missing14 else 0.0,
        ev14,
        velocity14,
        top14,
        ratio14,
        HORIZON_DAYS * velocity7 * r_top / f,
    ]


def game_targets(history: Mapping[int, GameMetrics], t: int) -> tuple[float, int] | None:
    """(ev_change_14d, top_prize_claim_14d) of day t, or None unless days t and t+14 are valid.
    The claim target is 1 when the top tier's remaining count fell in (t, t+14]."""
    now, later = history.get(t), history.get(t + HORIZON_DAYS)
    if now is None or later is None or now.reason is not None or later.reason is not None:
        return None
    change = later.ev_per_dollar - now.ev_per_dollar
    claimed = 1 if later.top_prizes_left < now.top_prizes_left else 0
    return change, claimed


# ---- thin frame wrapper -------------------------------------------------------------------------


def game_histories(
    frame: pd.DataFrame,
) -> dict[tuple[str, str], tuple[str, dict[int, GameMetrics]]]:
    """(state, game_number) -> (game_name, day number -> metrics) for a canonical frame."""
    out: dict[tuple[str, str], tuple[str, dict[int, GameMetrics]]] = {}
    for state, game, day, name, m in iter_game_days(frame):
        out.setdefault((state, game), (name, {}))[1][day_number(day)] = m
    return out


def feature_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every valid game-day of a canonical frame: key columns, `day` (day number), FEATURE_NAMES,
    the two targets (NaN when day t+14 is not in the data), and net_ev / win_probability for the
    prediction row. first_seen is each game's first day in the frame."""
    rows: list[dict] = []
    for (state, game), (name, history) in game_histories(frame).items():
        first_seen = min(history)
        for t in sorted(history):
            x = game_features(history, t, first_seen)
            if x is None:
                continue
            y = game_targets(history, t)
            m = history[t]
            row = {"state": state, "game_number": game, "game_name": name, "day": t}
            row.update(zip(FEATURE_NAMES, x, strict=True))
            row["ev_change_14d"] = np.nan if y is None else y[0]
            row["top_prize_claim_14d"] = np.nan if y is None else float(y[1])
            row["net_ev"] = m.net_ev
            rows.append(row)
    out = pd.DataFrame(rows)
    out["snapshot_date"] = pd.to_datetime(out["day"], unit="D")
    return out.sort_values(["day", *GAME_KEY], kind="stable").reset_index(drop=True)
