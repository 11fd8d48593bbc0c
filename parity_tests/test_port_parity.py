"""Python reference vs the edge functions' TypeScript port: analytics, features, prediction row.

DESIGN.md's bar: on every (game, day) of the shipped data and on the edge cases, every metric and
every feature within 1e-9 relative (|a - b| <= 1e-9 * max(1, |a|)), refusal reasons equal;
ai_score within 1e-6, confidence_level within 1e-9 relative, recommendation and reasoning exactly
equal.

The TypeScript side runs in ONE Deno process (parity_tests/port_runner.ts) for the whole data set.
Both sides get the same inputs: the tiers of each game-day (in the same, sometimes shuffled,
order), its price, odds and printed count, the game's first_seen day, and for the prediction row
the same model outputs: deterministic synthetic regressor changes and claim probabilities derived
from the Python feature row, a reference distribution (quantiles of those synthetic forecasts, and
for every other game the committed manifest's ai_score_reference when onnx_models/manifest.json
exists) and a spread scale.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from parity_tests.ort_web import REPO, run_deno_json
from parity_tests.reporting import report
from trainer.scratchoff.analytics import (
    METRIC_FIELDS,
    GameMetrics,
    Tier,
    frame_tier_index,
    game_metrics,
    tiers_from_arrays,
)
from trainer.scratchoff.features import FEATURE_NAMES, game_features
from trainer.scratchoff.feeds import parse_feed
from trainer.scratchoff.feeds.files import rows_frame
from trainer.scratchoff.feeds.shipped import NY_DAY, new_york
from trainer.scratchoff.load import load_scratchoff, validate_scratchoff
from trainer.scratchoff.prediction import PredictionRow, prediction_row, reference_quantiles

RUNNER = REPO / "parity_tests" / "port_runner.ts"
MANIFEST = REPO / "onnx_models" / "manifest.json"
REL = 1e-9
AI_SCORE_ABS = 1e-6
FI = {name: i for i, name in enumerate(FEATURE_NAMES)}
PREDICTION_NUMBERS = [
    "win_probability",
    "expected_value",
    "forecast_ev_per_dollar",
    "top_prize_claim_probability",
]
PREDICTION_TEXT = ["reason", "recommendation", "reasoning"]
MAX_LISTED = 20


# ---- cases --------------------------------------------------------------------------------------


@dataclass
class Day:
    day: int
    price: float
    odds: float | None
    total: float | None
    tiers: list[Tier]


@dataclass
class Outputs:
    changes: list[float]
    probs: list[float]
    days_observed: float


@dataclass
class Case:
    id: str
    first_seen: int
    days: list[Day]
    evaluate: list[int] = field(default_factory=list)
    outputs: dict[int, Outputs] = field(default_factory=dict)
    reference: list[float] | None = None
    spread_scale: float | None = None
    expect: str | None = None  # edge cases: words some day's refusal reason must contain


def _none_if_nan(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def shipped_frame() -> pd.DataFrame:
    """Every shipped game-day: the Texas canonical file and the New York snapshot (its tiers
    numbered from the advertised top prize by the feed adapter)."""
    new_york_rows = parse_feed("NY", new_york(), NY_DAY).rows
    ny = validate_scratchoff(rows_frame(new_york_rows), f"NY {NY_DAY}")
    return pd.concat([load_scratchoff(), ny], ignore_index=True)


def shipped_cases(frame: pd.DataFrame) -> list[Case]:
    """One case per game, its days exactly as trainer.analytics.iter_game_days builds them (same
    sort, same tiers, same price/odds/printed per day). Odd days pass the tiers in reverse order,
    so both sides' sort is exercised too."""
    keys = ["state", "game_number", "snapshot_date"]
    ordered = frame.sort_values([*keys, "prize_amount"], kind="stable").reset_index(drop=True)
    prize = ordered["prize_amount"].to_numpy(dtype=np.float64)
    printed = ordered["prizes_printed"].to_numpy()
    remaining = ordered["prizes_remaining"].to_numpy()
    index = frame_tier_index(ordered)
    starts = np.flatnonzero(~ordered.duplicated(subset=keys).to_numpy())
    ends = np.append(starts[1:], len(ordered))
    heads = ordered.iloc[starts]
    cases: dict[tuple[str, str], Case] = {}
    for a, b, head in zip(starts, ends, heads.itertuples(), strict=True):
        day = int((head.snapshot_date - pd.Timestamp(0)).days)
        tiers = tiers_from_arrays(
            prize[a:b], printed[a:b], remaining[a:b], None if index is None else index[a:b]
        )
        if day % 2:
            tiers = tiers[::-1]
        key = (head.state, head.game_number)
        case = cases.setdefault(key, Case(f"{head.state}-{head.game_number}", day, []))
        case.first_seen = min(case.first_seen, day)
        case.days.append(
            Day(
                day,
                float(head.ticket_price),
                _none_if_nan(head.overall_odds),
                _none_if_nan(head.total_tickets_printed),
                tiers,
            )
        )
    out = list(cases.values())
    for c in out:
        c.evaluate = [d.day for d in c.days]
    return out


T = 20_600  # an arbitrary day number for the made-up games


def _tiers(price: float, left: float, top_left: int, top: float | None = None) -> list[Tier]:
    """A five-tier game with `left` (0-1) of its low tiers unsold."""
    spec = [(price, 800_000), (2 * price, 300_000), (10 * price, 20_000), (100 * price, 500)]
    tiers = [Tier(float(p), n, int(math.floor(n * left))) for p, n in spec]
    return [*tiers, Tier(float(top if top is not None else 5_000 * price), 4, top_left)]


def _numbered(tiers: list[Tier], top: int) -> list[Tier]:
    """The tiers numbered as the feeds number them: tiers[top] is tier 1 (the advertised top
    prize), the others 2, 3, ... by prize, largest first."""
    rest = sorted((i for i in range(len(tiers)) if i != top), key=lambda i: -tiers[i].prize)
    number = {i: n for n, i in enumerate([top, *rest], start=1)}
    return [replace(t, tier_index=number[i]) for i, t in enumerate(tiers)]


def _series(
    name: str,
    n_days: int,
    price: float = 5.0,
    odds: float | None = 4.0,
    total: float | None = 5_000_000.0,
    top_left: Any = 3,
    first_seen: int | None = None,
    expect: str | None = None,
    **kw: Any,
) -> Case:
    days = []
    for k in range(n_days):
        t = T - n_days + 1 + k
        tl = top_left(k) if callable(top_left) else top_left
        days.append(Day(t, price, odds, total, _tiers(price, 0.9 - 0.01 * k, tl)))
    first = first_seen if first_seen is not None else days[0].day
    return Case(f"edge:{name}", first, days, expect=expect, **kw)


def edge_cases() -> list[Case]:
    cases = [
        _series("lowest_price", 20, price=1.0),
        _series("highest_price", 20, price=100.0, top_left=lambda k: 4 - k // 6),
        _series("seen_one_day", 1, price=10.0),
        _series("no_published_odds", 16, odds=None),
        _series("odds_nan_printed_given", 3, odds=float("nan")),
        _series("tickets_from_odds", 16, odds=4.5, total=None),
        _series("top_prize_gone", 20, top_left=lambda k: max(0, 2 - k // 5)),
        _series("long_history_before_window", 40, first_seen=T - 200),
        _series("big_top_prize", 3, price=50.0, top_left=1),
    ]
    # a middle tier sold out (still valid), then the common low tier sold out (refused)
    mid = _series("sold_out_tier", 10, expect="sold out")
    for d in mid.days:
        d.tiers[2] = Tier(d.tiers[2].prize, d.tiers[2].printed, 0)
    last = mid.days[-1]
    last.tiers[0] = Tier(last.tiers[0].prize, last.tiers[0].printed, 0)
    cases.append(mid)
    gone = _series("game_sold_out", 3, expect="sold out")
    gone.days[-1].tiers = [Tier(t.prize, t.printed, 0) for t in gone.days[-1].tiers]
    cases.append(gone)
    # a tier with zero printed prizes on some days; gaps and refused days inside the window
    zero = _series("zero_printed_tier", 18, expect="zero prizes printed")
    for d in zero.days[::3]:
        d.tiers.append(Tier(75.0, 0, 0))
    del zero.days[5]
    cases.append(zero)
    one = _series("one_tier_game", 4, expect="one prize tier")
    for d in one.days:
        d.tiers = [Tier(10.0, 1000, 400)]
    cases.append(one)
    cases.append(_series("neither_odds_nor_printed", 3, odds=None, total=None, expect="not yet"))
    cases.append(
        _series("odds_nan_printed_zero", 2, odds=float("nan"), total=0.0, expect="not yet")
    )
    # invalid tiers; the reason quotes the prize as Python's repr(float), so many magnitudes
    rng = np.random.default_rng(11)
    odd_prizes = [2.5, -1.0, 0.0, 1e16, 1e-05, float("inf"), float("nan"), 0.1 + 0.2, 1e15]
    odd_prizes += [9999999999999998.0, 5e-324, 123456789.125, 0.0001, 1.7976931348623157e308]
    odd_prizes += [float(10.0 ** rng.uniform(-9, 25)) for _ in range(150)]
    odd_prizes += [float(-(10.0 ** rng.uniform(-9, 25))) for _ in range(30)]
    odd_prizes += [float(round(v, 2)) for v in rng.uniform(0, 1e7, 30)]
    base = _tiers(5.0, 0.5, 2)
    bad = Case(
        "edge:invalid_tiers",
        T - len(odd_prizes),
        [Day(T - k, 5.0, 4.0, 5e6, [*base, Tier(p, 10, 11)]) for k, p in enumerate(odd_prizes)],
        expect="invalid tier",
    )
    cases.append(bad)
    cases.append(_series("price_zero", 2, price=0.0, expect="price"))
    cases.append(_series("price_nan", 2, price=float("nan"), expect="price"))
    empty = _series("no_tiers", 2, expect="no prize tiers")
    empty.days[0].tiers = []
    cases.append(empty)
    # day t not in the data: no metrics, no features
    missing = _series("evaluate_absent_day", 5)
    missing.evaluate = [d.day for d in missing.days] + [T + 1, T + 30]
    cases.append(missing)
    # gross EV exactly the price (net EV zero) and top_prize_ratio exactly 1
    even = Case(
        "edge:net_ev_zero_ratio_one",
        T - 2,
        [
            Day(T - k, 1.0, None, 2000.0, [Tier(1.0, 1000, 500), Tier(10.0, 100, 50)])
            for k in (2, 1, 0)
        ],
    )
    cases.append(even)
    capped = Case(
        "edge:win_probability_capped",
        T,
        [Day(T, 1.0, None, 1000.0, [Tier(1.0, 1000, 500), Tier(5.0, 9000, 4500)])],
    )
    cases.append(capped)
    positive = Case(
        "edge:positive_ev",
        T,
        [Day(T, 5.0, None, 1000.0, [Tier(1.0, 1000, 10), Tier(5000.0, 2, 2)])],
    )
    cases.append(positive)
    # The top tier is tier 1, not the largest prize: an annuity valued below a cash tier; a tie
    # with a tier the old (prize, printed, remaining) sort would have put on top; a tier 1 that
    # would have sat inside the common low tiers. Top prizes are claimed inside the window, so
    # the top-tier features move too.
    below = _series("top_tier_below_cash", 16, top_left=lambda k: 3 - k // 6)
    tied = _series("top_tier_tied", 16, top_left=lambda k: 3 - k // 6)
    for d in below.days:
        d.tiers = _numbered([*d.tiers, Tier(40_000.0, 2, 1)], 4)
    for d in tied.days:
        d.tiers = _numbered([*d.tiers, Tier(d.tiers[4].prize, 6, 5)], 4)
    inside = [Tier(1.0, 100, 50), Tier(2.0, 100, 40), Tier(3.0, 100, 30), Tier(2.5, 250, 10)]
    low = Case(
        "edge:top_tier_among_low_tiers", T, [Day(T, 1.0, None, 2000.0, _numbered(inside, 3))]
    )
    cases += [below, tied, low]
    # prediction-row edge cases: reference with < 2 values, no spread scale
    for name, ref, scale in [
        ("reference_empty", [], 0.002),
        ("reference_single", [0.7], 0.002),
        ("spread_scale_zero", None, 0.0),
    ]:
        cases.append(_series(name, 3, reference=ref, spread_scale=scale))
    for c in cases:
        if not c.evaluate:
            c.evaluate = [d.day for d in c.days]
    return cases


def _wave(a: float, b: float) -> float:
    return math.sin(a * 12.9898 + b * 78.233)


def attach_outputs(cases: list[Case], features: dict[tuple[str, int], list[float] | None]) -> None:
    """Deterministic synthetic model outputs from the Python feature row; some rows with one model,
    none, or a non-finite output."""
    n = 0
    for gi, c in enumerate(cases):
        for t in c.evaluate:
            x = features.get((c.id, t))
            n += 1
            ev14 = x[FI["ev_change_14d_past"]] if x else 0.0
            claims = x[FI["expected_top_claims_14d"]] if x else 0.1
            rf = -0.5 * ev14 + 0.02 * _wave(t, gi)
            xgb = 0.8 * rf + 0.004 * _wave(gi, t)
            p_rf = 1.0 - math.exp(-max(0.0, claims))
            p_xgb = min(1.0, 0.9 * p_rf + 0.05 * (1.0 + _wave(t + 1, gi)))
            days = x[FI["days_observed"]] if x else 1.0
            out = Outputs([rf, xgb], [p_rf, p_xgb], days)
            if n % 50 == 0:
                out = Outputs([rf], [p_rf], days)
            elif n % 97 == 0:
                out = Outputs([], [], days)
            elif n % 211 == 0:
                out = Outputs([float("nan"), xgb], [p_rf, p_xgb], days)
            elif n % 313 == 0:
                out = Outputs([rf, xgb], [p_rf, float("inf")], days)
            elif n % 127 == 0:
                out = Outputs([rf, xgb], [1.4, 1.7], days)  # out-of-range probabilities
            elif n % 131 == 0:
                out = Outputs([rf, xgb], [-0.2, 0.1], float("nan"))
            elif n % 137 == 0:
                out = Outputs([0.0, 0.0], [p_rf, p_rf], -3.0)
            c.outputs[t] = out


def _enc(x: Any) -> Any:
    """JSON for the runner: non-finite floats as strings (JSON has none)."""
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def _dec(x: Any) -> Any:
    if isinstance(x, str) and x in ("NaN", "Infinity", "-Infinity"):
        return float(x.replace("inity", ""))
    return x


def request(cases: list[Case], reference: list[float], scale: float) -> dict:
    games = []
    for c in cases:
        g: dict[str, Any] = {
            "id": c.id,
            "first_seen": c.first_seen,
            "days": [
                {
                    "day": d.day,
                    "price": _enc(d.price),
                    "odds": _enc(d.odds),
                    "total": _enc(d.total),
                    "tiers": [
                        [_enc(t.prize), t.printed, t.remaining, t.tier_index] for t in d.tiers
                    ],
                }
                for d in c.days
            ],
            "evaluate": c.evaluate,
            "outputs": {
                str(t): {
                    "changes": [_enc(v) for v in o.changes],
                    "probs": [_enc(v) for v in o.probs],
                    "days_observed": _enc(o.days_observed),
                }
                for t, o in c.outputs.items()
            },
        }
        if c.reference is not None:
            g["reference"] = [_enc(v) for v in c.reference]
        if c.spread_scale is not None:
            g["spread_scale"] = _enc(c.spread_scale)
        games.append(g)
    return {"reference": reference, "spread_scale": scale, "games": games}


# ---- both sides ---------------------------------------------------------------------------------


@dataclass
class Pair:
    case: Case
    day: int
    py_metrics: GameMetrics | None
    py_features: list[float] | None
    py_prediction: PredictionRow | None
    ts: dict


def _manifest_reference() -> tuple[list[float], float] | None:
    if not MANIFEST.exists():
        return None
    entry = json.loads(MANIFEST.read_text())["models"]["ev_change_14d_rf"]
    return [float(v) for v in entry["ai_score_reference"]], float(entry["confidence_spread_scale"])


@pytest.fixture(scope="module")
def parity() -> dict:
    started = time.perf_counter()
    shipped = shipped_cases(shipped_frame())
    edges = edge_cases()
    cases = shipped + edges

    histories: dict[str, dict[int, GameMetrics]] = {}
    feats: dict[tuple[str, int], list[float] | None] = {}
    for c in cases:
        h = {d.day: game_metrics(d.tiers, d.price, d.odds, d.total) for d in c.days}
        histories[c.id] = h
        for t in c.evaluate:
            feats[(c.id, t)] = game_features(h, t, c.first_seen)
    attach_outputs(cases, feats)

    # The reference: quantiles of the synthetic forecasts (scores spread over 0-100, so every
    # recommendation threshold is crossed); every other shipped game uses the committed
    # manifest's reference and spread scale when there is one.
    forecasts = []
    for c in shipped:
        h = histories[c.id]
        for t, o in c.outputs.items():
            m = h[t]
            if m.ok and o.changes and all(math.isfinite(v) for v in o.changes):
                forecasts.append(m.ev_per_dollar + sum(o.changes) / len(o.changes))
    reference = reference_quantiles(forecasts)
    scale = float(
        np.median(
            np.abs(
                [
                    v
                    for c in shipped
                    for o in c.outputs.values()
                    for v in o.changes
                    if math.isfinite(v)
                ]
            )
        )
    )
    from_manifest = _manifest_reference()
    if from_manifest is not None:
        for c in shipped[1::2]:
            c.reference, c.spread_scale = from_manifest
    python_built = time.perf_counter() - started

    payload = json.dumps(request(cases, reference, scale), allow_nan=False)
    t0 = time.perf_counter()
    body = run_deno_json(RUNNER, payload, timeout=120)
    deno_seconds = time.perf_counter() - t0

    by_id = {c.id: c for c in cases}
    pairs = []
    t1 = time.perf_counter()
    for res in body["results"]:
        c = by_id[res["game"]]
        t = res["day"]
        m = histories[c.id].get(t)
        o = c.outputs.get(t)
        pred = None
        if m is not None and o is not None:
            ref = c.reference if c.reference is not None else reference
            sc = c.spread_scale if c.spread_scale is not None else scale
            pred = prediction_row(m, o.days_observed, o.changes, o.probs, ref, sc)
        pairs.append(Pair(c, t, m, feats[(c.id, t)], pred, res))
    report(
        f"{len(pairs)} (game, day) pairs ({len(shipped)} shipped games, {len(edges)} edge cases): "
        f"Python side {python_built + time.perf_counter() - t1:.2f}s, Deno subprocess "
        f"{deno_seconds:.2f}s (runner's own compute {body['ms']:.0f} ms), reference from "
        f"{'synthetic forecasts + manifest' if from_manifest else 'synthetic forecasts'}"
    )
    return {"pairs": pairs, "cases": cases, "shipped": shipped, "edges": edges}


# ---- comparison ---------------------------------------------------------------------------------


def _where(p: Pair) -> str:
    iso = str((pd.Timestamp(0) + pd.Timedelta(days=p.day)).date())
    return f"game {p.case.id} day {iso} (#{p.day})"


def _delta(a: Any, b: Any, absolute: bool = False) -> float | None:
    """Relative delta |a - b| / max(1, |a|) (or |a - b| when `absolute`); None when the two are
    not comparable numbers that agree in kind (None vs null, bool vs bool, NaN vs NaN and equal
    infinities count as 0)."""
    b = _dec(b)
    if a is None or b is None:
        return 0.0 if a is None and b is None else None
    if isinstance(a, bool) or isinstance(b, bool):
        return 0.0 if type(a) is type(b) and a == b else None
    if not isinstance(b, (int, float)):
        return None
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return 0.0 if math.isnan(a) and math.isnan(b) else None
    if math.isinf(a) or math.isinf(b):
        return 0.0 if a == b else None
    return abs(a - b) if absolute else abs(a - b) / max(1.0, abs(a))


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.max_rel: dict[str, tuple[float, str]] = {}
        self.count = 0

    def number(
        self,
        p: Pair,
        group: str,
        name: str,
        a: Any,
        b: Any,
        tol: float = REL,
        absolute: bool = False,
    ) -> None:
        self.count += 1
        d = _delta(a, b, absolute)
        if d is None or d > tol:
            self.problems.append(
                f"{_where(p)}: {group}.{name}: Python {a!r} vs TypeScript {_dec(b)!r}"
                + (
                    ""
                    if d is None
                    else f" ({'absolute' if absolute else 'relative'} delta {d:.3g} > {tol:g})"
                )
            )
            return
        if d > self.max_rel.get(group, (-1.0, ""))[0]:
            self.max_rel[group] = (d, name)

    def exact(self, p: Pair, group: str, name: str, a: Any, b: Any, note: str = "") -> None:
        self.count += 1
        if a != b or type(a) is not type(b):
            self.problems.append(
                f"{_where(p)}: {group}.{name}: Python {a!r} vs TypeScript {b!r}{note}"
            )

    def finish(self, what: str) -> None:
        for group, (d, name) in sorted(self.max_rel.items()):
            kind = "absolute" if "absolute" in group else "relative"
            where = "every value bit-identical" if d == 0 else f"field {name}"
            report(f"{what}: max {kind} delta {group}: {d:.3g} ({where})")
        report(f"{what}: {self.count} values compared, {len(self.problems)} mismatches")
        if self.problems:
            shown = "\n".join(self.problems[:MAX_LISTED])
            more = len(self.problems) - MAX_LISTED
            raise AssertionError(
                f"{len(self.problems)} {what} mismatch(es), Python vs TypeScript:\n{shown}"
                + (f"\n... and {more} more" if more > 0 else "")
            )


METRIC_KEYS = [f.name for f in fields(GameMetrics)]
PREDICTION_KEYS = [f.name for f in fields(PredictionRow)]


def test_every_game_day_is_compared(parity: dict) -> None:
    pairs = parity["pairs"]
    want = {(c.id, t) for c in parity["cases"] for t in c.evaluate}
    got = [(p.case.id, p.day) for p in pairs]
    assert len(got) == len(set(got)) == len(want) and set(got) == want
    shipped = sum(len(c.days) for c in parity["shipped"])
    frame = shipped_frame()
    assert set(frame["state"]) == {"TX", "NY"}
    n_game_days = frame.groupby(["state", "game_number", "snapshot_date"]).ngroups
    assert shipped == n_game_days, f"{shipped} shipped game-days compared, data has {n_game_days}"


def test_edge_cases_hit_their_reason(parity: dict) -> None:
    """Each made-up edge case really produces the refusal it is meant to cover (Python side)."""
    reasons: dict[str, list[str]] = {}
    for p in parity["pairs"]:
        if p.py_metrics is not None and p.py_metrics.reason:
            reasons.setdefault(p.case.id, []).append(p.py_metrics.reason)
    for c in parity["edges"]:
        if c.expect:
            got = reasons.get(c.id, [])
            assert any(c.expect in r for r in got), f"{c.id}: no reason with {c.expect!r}: {got}"
    names = {c.id for c in parity["edges"]}
    for needed in ("seen_one_day", "top_prize_gone", "no_published_odds", "lowest_price"):
        assert f"edge:{needed}" in names


def test_top_tier_cases_follow_tier_1(parity: dict) -> None:
    """The made-up games whose tier 1 is not the largest prize: the metrics follow tier 1, and
    differ from what the largest prize as top tier would give (Python side)."""
    checked = 0
    for p in parity["pairs"]:
        if p.case.id.startswith("edge:top_tier_") and p.py_metrics is not None:
            day = next(d for d in p.case.days if d.day == p.day)
            one = next(t for t in day.tiers if t.tier_index == 1)
            m = p.py_metrics
            assert (m.top_prize_amount, m.top_prizes_printed) == (one.prize, one.printed)
            unnumbered = [replace(t, tier_index=None) for t in day.tiers]
            assert game_metrics(unnumbered, day.price, day.odds, day.total) != m
            checked += 1
    assert checked == 16 + 16 + 1


def test_metrics_parity(parity: dict) -> None:
    check = Checker()
    for p in parity["pairs"]:
        ts = p.ts["metrics"]
        if p.py_metrics is None or ts is None:
            check.exact(p, "metrics", "(present)", p.py_metrics is None, ts is None)
            continue
        if sorted(ts) != sorted(METRIC_KEYS):
            check.exact(p, "metrics", "(field names)", sorted(METRIC_KEYS), sorted(ts))
            continue
        py = asdict(p.py_metrics)
        check.exact(p, "metrics", "reason", py["reason"], ts["reason"])
        for name in METRIC_FIELDS:
            check.number(p, "metrics", name, py[name], ts[name])
    check.finish("metrics")


def test_features_parity(parity: dict) -> None:
    check = Checker()
    for p in parity["pairs"]:
        py, ts = p.py_features, p.ts["features"]
        if py is None or ts is None:
            check.exact(p, "features", "(present)", py is None, ts is None)
            continue
        if len(ts) != len(FEATURE_NAMES):
            check.exact(p, "features", "(length)", len(FEATURE_NAMES), len(ts))
            continue
        for name, a, b in zip(FEATURE_NAMES, py, ts, strict=True):
            check.number(p, "features", name, a, b)
    check.finish("features")


def test_prediction_parity(parity: dict) -> None:
    check = Checker()
    labels: dict[str, int] = {}
    for p in parity["pairs"]:
        py, ts = p.py_prediction, p.ts["prediction"]
        if py is None or ts is None:
            check.exact(p, "prediction", "(present)", py is None, ts is None)
            continue
        if sorted(ts) != sorted(PREDICTION_KEYS):
            check.exact(p, "prediction", "(field names)", sorted(PREDICTION_KEYS), sorted(ts))
            continue
        row = asdict(py)
        note = f" (ai_score Python {row['ai_score']!r}, TypeScript {_dec(ts['ai_score'])!r})"
        for name in PREDICTION_TEXT:
            check.exact(p, "prediction", name, row[name], ts[name], note)
        check.number(
            p,
            "prediction.ai_score (absolute)",
            "ai_score",
            row["ai_score"],
            ts["ai_score"],
            AI_SCORE_ABS,
            absolute=True,
        )
        check.number(
            p,
            "prediction.confidence_level",
            "confidence_level",
            row["confidence_level"],
            ts["confidence_level"],
        )
        for name in PREDICTION_NUMBERS:
            check.number(p, "prediction.other numbers", name, row[name], ts[name])
        key = row["recommendation"] or "refused"
        labels[key] = labels.get(key, 0) + 1
    report(f"prediction rows by recommendation: {dict(sorted(labels.items()))}")
    check.finish("prediction")
