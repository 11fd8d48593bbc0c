"""Small made-up scratch-off histories for the tests (canonical frames)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trainer.scratchoff.load import SCRATCHOFF_COLUMNS


def synthetic_frame(n_games: int = 6, n_days: int = 60, seed: int = 0) -> pd.DataFrame:
    """Games selling down at their own pace; remaining counts never increase; a few gaps."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01")
    rows = []
    for g in range(n_games):
        price = float([1, 2, 5, 10, 20, 50][g % 6])
        prizes = price * np.array([1.0, 2.0, 5.0, 20.0, 100.0, 10_000.0])
        printed = np.array([400_000, 200_000, 80_000, 8_000, 400, 4 + g])
        remaining = printed.astype(float) * rng.uniform(0.5, 0.95)
        remaining[-1] = printed[-1] - rng.integers(0, 3)
        first_day = int(rng.integers(0, 10))
        pace = rng.uniform(0.002, 0.02)
        odds = None if g % 4 == 3 else 4.0
        for d in range(first_day, n_days):
            if d == first_day + 20 + g:  # a missing snapshot
                continue
            remaining[:-1] = np.floor(remaining[:-1] * (1.0 - pace * rng.uniform(0.5, 1.5)))
            if rng.random() < 0.08 and remaining[-1] > 0:
                remaining[-1] -= 1
            for p, n, r in zip(prizes, printed, remaining, strict=True):
                rows.append(
                    (
                        start + pd.Timedelta(days=d),
                        "TX",
                        f"9{g:03d}",
                        f"Game {g}",
                        price,
                        odds,
                        float(n) * 4.0,
                        float(p),
                        int(n),
                        int(r),
                    )
                )
    frame = pd.DataFrame(rows, columns=SCRATCHOFF_COLUMNS)
    frame["overall_odds"] = frame["overall_odds"].astype("float64")
    return frame
