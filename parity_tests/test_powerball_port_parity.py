"""Python reference vs the edge function's TypeScript port: Powerball next-draw features.

trainer/powerball/features.py computes the features in float64 and casts once to float32;
supabase/functions/_shared/powerball/features.ts computes the same expressions in float64 and
rounds with Math.fround. The two must agree bit for bit, as float32, for both balls:

- every window of the shipped history: the features of draw t from draws t-100 .. t-1, for every
  t from 100 to the draw after the last one (the rows the models were trained on, from
  feature_table, and the serving rows, from next_draw_features); the TypeScript side gets the
  draws shuffled and, per window, every draw up to it, so its date sort and its "newest 100" cut
  are exercised too;
- synthetic histories with the extremes: a number never seen, a number in every draw, exactly 100
  draws, repeated patterns (ties in hot_rank_25).

The TypeScript side runs in ONE Deno process (parity_tests/powerball_port_runner.ts).
"""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pandas as pd
import pytest

from parity_tests.ort_web import REPO, run_deno_json
from parity_tests.reporting import report
from trainer.powerball.features import (
    FEATURE_NAMES,
    HISTORY_WINDOW,
    RED,
    WHITE,
    feature_table,
    next_draw_features,
)
from trainer.powerball.load import WHITE_COLUMNS, load_powerball

RUNNER = REPO / "parity_tests" / "powerball_port_runner.ts"
BALLS = {"white": WHITE, "red": RED}


def _iso(value) -> str:
    return pd.Timestamp(value).date().isoformat()


def draws_json(frame: pd.DataFrame, seed: int) -> list[dict]:
    """The draws as the runner reads them, in a shuffled order."""
    rows = [
        {
            "draw_date": _iso(r.draw_date),
            "white": [int(getattr(r, c)) for c in WHITE_COLUMNS],
            "powerball": int(r.powerball),
        }
        for r in frame.itertuples()
    ]
    order = np.random.default_rng(seed).permutation(len(rows))
    return [rows[i] for i in order]


def synthetic_history(n_draws: int, seed: int) -> pd.DataFrame:
    """Random draws over numbers 2-68 (whites) and 2-25 (Powerball), except that white 1 and
    Powerball 1 are in every draw and white 69 and Powerball 26 in none; every third draw repeats
    the one before it (many ties in the counts)."""
    rng = np.random.default_rng(seed)
    rows = []
    dates = pd.date_range("2016-01-02", periods=n_draws, freq="3D")
    for i, day in enumerate(dates):
        if i % 3 == 2:
            rows.append({**rows[-1], "draw_date": day})
            continue
        whites = sorted([1, *rng.choice(np.arange(2, 69), 4, replace=False).tolist()])
        red = 1 if i % 2 else int(rng.integers(2, 26))
        rows.append(
            {"draw_date": day, **dict(zip(WHITE_COLUMNS, whites, strict=True)), "powerball": red}
        )
    return pd.DataFrame(rows)


def expected_windows(frame: pd.DataFrame) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    """Per cut date (the newest draw of the history): (last draw date, white, red) from Python.

    The windows before the last draw come from feature_table (the training rows); the window after
    the last draw from next_draw_features (the serving rows), as is a spot check in the middle."""
    ordered = frame.sort_values("draw_date", kind="stable").reset_index(drop=True)
    dates = [_iso(d) for d in ordered["draw_date"]]
    out: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}
    if len(ordered) > HISTORY_WINDOW:
        tables = {name: feature_table(ordered, ball) for name, ball in BALLS.items()}
        for name, ball in BALLS.items():
            assert tables[name].X.shape == (
                (len(ordered) - HISTORY_WINDOW) * ball.n_numbers,
                len(FEATURE_NAMES),
            )
        for i, t in enumerate(range(HISTORY_WINDOW, len(ordered))):
            cut = dates[t - 1]
            blocks = [
                tables[name].X[i * ball.n_numbers : (i + 1) * ball.n_numbers]
                for name, ball in BALLS.items()
            ]
            out[cut] = (cut, blocks[0], blocks[1])
        # a spot check that the serving path equals the training rows for one window
        mid = (HISTORY_WINDOW + len(ordered)) // 2
        white, red = next_draw_features(ordered.iloc[:mid])
        assert np.array_equal(white, out[dates[mid - 1]][1])
        assert np.array_equal(red, out[dates[mid - 1]][2])
    white, red = next_draw_features(ordered)
    out[dates[-1]] = (dates[-1], white, red)
    return out


def _decode(b64: str, ball) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(b64), dtype="<f4")
    return raw.reshape(ball.n_numbers, len(FEATURE_NAMES))


@pytest.fixture(scope="module")
def parity() -> dict:
    t0 = time.perf_counter()
    shipped = load_powerball()
    cases = {
        "shipped": shipped,
        "synthetic_130": synthetic_history(130, seed=7),
        "synthetic_exactly_100": synthetic_history(100, seed=8),
    }
    expected = {cid: expected_windows(frame) for cid, frame in cases.items()}
    request = {
        "cases": [
            {"id": cid, "draws": draws_json(frame, seed=i), "cuts": list(expected[cid])}
            for i, (cid, frame) in enumerate(cases.items())
        ]
    }
    python_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    body = run_deno_json(RUNNER, json.dumps(request), timeout=120)
    deno_seconds = time.perf_counter() - t1
    report(
        f"powerball features: {body['n']} windows ({len(expected['shipped'])} of the shipped "
        f"history), Python {python_seconds:.2f}s, Deno subprocess {deno_seconds:.2f}s (runner's "
        f"own compute {body['ms']:.0f} ms)"
    )
    return {"expected": expected, "results": body["results"], "shipped": shipped}


def test_every_window_of_the_shipped_history_is_covered(parity):
    shipped = parity["shipped"]
    windows = [r for r in parity["results"] if r["case"] == "shipped"]
    # one window ending at each draw from the 100th on
    assert len(windows) == len(shipped) - HISTORY_WINDOW + 1
    assert windows[-1]["cut"] == _iso(shipped["draw_date"].max())
    assert len(parity["results"]) == sum(len(e) for e in parity["expected"].values())


def test_next_draw_features_are_bit_identical(parity):
    problems: list[str] = []
    max_delta = {name: 0.0 for name in FEATURE_NAMES}
    compared = 0
    for res in parity["results"]:
        last, *py = parity["expected"][res["case"]][res["cut"]]
        if res["last_draw_date"] != last:
            problems.append(f"{res['case']} {res['cut']}: last draw {res['last_draw_date']}")
        for (name, ball), want in zip(BALLS.items(), py, strict=True):
            got = _decode(res[name], ball)
            compared += got.size
            delta = np.abs(got.astype(np.float64) - want.astype(np.float64)).max(axis=0)
            for j, f in enumerate(FEATURE_NAMES):
                max_delta[f] = max(max_delta[f], float(delta[j]))
            differ = np.argwhere(got.view(np.uint32) != want.view(np.uint32))
            for row, col in differ[:5]:
                problems.append(
                    f"{res['case']} window ending {res['cut']}: {name} number {row + 1} "
                    f"{FEATURE_NAMES[col]}: Python {want[row, col]!r} vs TypeScript "
                    f"{got[row, col]!r}"
                )
    report(
        f"powerball features: {compared} float32 values compared bit for bit; max |delta| per "
        "feature: " + ", ".join(f"{k} {v:.3g}" for k, v in max_delta.items())
    )
    assert not problems, f"{len(problems)} differences, first: " + "\n".join(problems[:20])
