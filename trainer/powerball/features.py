"""Powerball features per (draw, number), from the draws strictly before it (DESIGN.md, Powerball).

Every feature of number n at draw t is a function of the HISTORY_WINDOW (100) draws t-100 .. t-1
only, so the edge function can compute the next draw's features from the last 100 draws. The math
is counts and ratios, in float64, cast once to float32 at the end (TypeScript: `Math.fround` of the
same float64 expression gives the same bits).

For a ball ("white": numbers 1-69, five per draw; "red": the Powerball, 1-26, one per draw) and the
window's rows oldest .. newest, with count_k(n) = number of the k newest draws that contain n:

  number             n itself (lets a model learn a per-number bias, if there were one)
  freq_10 .. freq_100  count_k(n) / k  for k in 10, 25, 50, 100
  draws_since_seen   draws after n's newest appearance in the window: 0 if in the newest draw,
                     100 if not in the window at all
  trend_10_100       freq_10 - freq_100    ("hot" now compared with the long run)
  trend_25_100       freq_25 - freq_100
  hot_rank_25        (#numbers m with count_25(m) < count_25(n)) / (N - 1): 1 = hottest, 0 = coldest
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trainer.powerball.load import POWERBALL_MAX, WHITE_COLUMNS, WHITE_MAX

HISTORY_WINDOW = 100
FREQ_WINDOWS = (10, 25, 50, 100)
HOT_WINDOW = 25

# The fixed column order the models, ONNX files and the TypeScript port share.
FEATURE_NAMES = [
    "number",
    "freq_10",
    "freq_25",
    "freq_50",
    "freq_100",
    "draws_since_seen",
    "trend_10_100",
    "trend_25_100",
    "hot_rank_25",
]
WHITE_FEATURE_NAMES = list(FEATURE_NAMES)
RED_FEATURE_NAMES = list(FEATURE_NAMES)


@dataclass(frozen=True)
class Ball:
    name: str  # "white" or "red"
    n_numbers: int  # numbers 1..n_numbers
    per_draw: int  # balls of this kind in one draw

    @property
    def base_rate(self) -> float:
        """Chance that a given number is drawn under uniform randomness."""
        return self.per_draw / self.n_numbers


WHITE = Ball("white", WHITE_MAX, 5)
RED = Ball("red", POWERBALL_MAX, 1)
BALLS = {"white": WHITE, "red": RED}


def indicator_matrix(draws: pd.DataFrame, ball: Ball) -> np.ndarray:
    """(T, N) bool, row t = draw t in date order, column n-1 = number n was drawn."""
    ordered = draws.sort_values("draw_date", kind="stable")
    columns = WHITE_COLUMNS if ball.name == "white" else ["powerball"]
    numbers = ordered[columns].to_numpy(dtype=np.int64)
    out = np.zeros((len(ordered), ball.n_numbers), dtype=bool)
    rows = np.repeat(np.arange(len(ordered)), numbers.shape[1])
    out[rows, numbers.ravel() - 1] = True
    return out


def window_features(window: np.ndarray) -> np.ndarray:
    """Features of every number from exactly HISTORY_WINDOW draws (rows oldest .. newest).

    window: (100, N) bool indicator. Returns (N, len(FEATURE_NAMES)) float32.
    """
    if window.ndim != 2 or window.shape[0] != HISTORY_WINDOW:
        raise ValueError(f"need exactly {HISTORY_WINDOW} draws, got shape {window.shape}")
    n_numbers = window.shape[1]
    hits = window.astype(np.int64)
    counts = {k: hits[-k:].sum(axis=0) for k in FREQ_WINDOWS}
    freq = {k: counts[k] / k for k in FREQ_WINDOWS}

    seen = hits.any(axis=0)
    # index of the newest row containing n, counted from the newest row (0 = newest draw)
    newest_first = hits[::-1]
    since = np.where(seen, newest_first.argmax(axis=0), HISTORY_WINDOW)

    hot_counts = counts[HOT_WINDOW]
    lower = (hot_counts[None, :] < hot_counts[:, None]).sum(axis=1)  # row n: #m below n
    hot_rank = lower / (n_numbers - 1)

    columns = [
        np.arange(1, n_numbers + 1, dtype=np.float64),
        freq[10],
        freq[25],
        freq[50],
        freq[100],
        since.astype(np.float64),
        freq[10] - freq[100],
        freq[25] - freq[100],
        hot_rank,
    ]
    return np.column_stack(columns).astype(np.float32)


@dataclass
class FeatureTable:
    """Training rows for one ball: one row per (draw, number), draws in date order."""

    X: np.ndarray  # (rows, k) float32
    y: np.ndarray  # (rows,) int64, 1 = the number was drawn in that draw
    draw_index: np.ndarray  # (rows,) position of the draw in the date-ordered history
    number: np.ndarray  # (rows,) int64
    draw_dates: np.ndarray  # (draws,) datetime64, the dates of the draws that have rows

    def before(self, draw: int) -> FeatureTable:
        """The rows of the draws strictly before draw index `draw`."""
        keep = self.draw_index < draw
        first = int(self.draw_index.min()) if len(self.draw_index) else 0
        return FeatureTable(
            X=self.X[keep],
            y=self.y[keep],
            draw_index=self.draw_index[keep],
            number=self.number[keep],
            draw_dates=self.draw_dates[: max(0, draw - first)],
        )


def feature_table(draws: pd.DataFrame, ball: Ball) -> FeatureTable:
    """Rows for every draw with a full window before it (draw index >= HISTORY_WINDOW)."""
    ordered = draws.sort_values("draw_date", kind="stable").reset_index(drop=True)
    hits = indicator_matrix(ordered, ball)
    n = ball.n_numbers
    targets = range(HISTORY_WINDOW, len(ordered))
    blocks = [window_features(hits[t - HISTORY_WINDOW : t]) for t in targets]
    if not blocks:
        raise ValueError(f"need more than {HISTORY_WINDOW} draws, got {len(ordered)}")
    index = np.repeat(np.fromiter(targets, dtype=np.int64), n)
    return FeatureTable(
        X=np.vstack(blocks),
        y=hits[HISTORY_WINDOW:].reshape(-1).astype(np.int64),
        draw_index=index,
        number=np.tile(np.arange(1, n + 1, dtype=np.int64), len(blocks)),
        draw_dates=ordered["draw_date"].to_numpy()[HISTORY_WINDOW:],
    )


def next_draw_features(history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Features for the draw after the last one in history: (69 x k white, 26 x k red) float32.

    Uses only the last HISTORY_WINDOW draws by date, exactly as the edge function does.
    """
    if len(history) < HISTORY_WINDOW:
        raise ValueError(f"need at least {HISTORY_WINDOW} draws, got {len(history)}")
    recent = history.sort_values("draw_date", kind="stable").tail(HISTORY_WINDOW)
    return (
        window_features(indicator_matrix(recent, WHITE)),
        window_features(indicator_matrix(recent, RED)),
    )


def iso_date(value: object) -> str:
    """A draw date as YYYY-MM-DD."""
    return pd.Timestamp(value).date().isoformat()
