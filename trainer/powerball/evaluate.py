"""Honest evaluation of the Powerball models against uniform randomness (DESIGN.md, Powerball).

The walk forward (trainer.powerball.walkforward) scores each model on draws it never saw. Per
scored draw:
- log-loss: the sum over numbers of the Bernoulli log-loss of the model's inclusion probabilities
  (scores rescaled to sum to 5 for whites, 1 for the Powerball) against uniform 5/69 and 1/26;
- hits: white balls matched by the model's top-5 pick (hypergeometric expectation 25/69) and
  Powerball hits of its top pick (1/26);
- prize-weighted return per $2 of the model's ticket (its top-5 whites + top Powerball) against
  random tickets, by the prize table, with the JACKPOT EXCLUDED (valued at $0: it is pari-mutuel
  and the shipped data has no jackpot amounts) and no Power Play.
Intervals are 95% percentile bootstraps over scored draws with a fixed seed.

Uniformity of the whole history: chi-square over number counts with a Monte Carlo p-value
(draws simulated without replacement, fixed seed). The plain chi-square(N-1) p-value is
conservative for white balls: a number's count is Binomial(T, 5/69), so the statistic's mean is
69 x (1 - 5/69) = 64, not 68.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trainer.modeling import Progress, print_progress
from trainer.powerball.features import RED, WHITE, indicator_matrix, iso_date
from trainer.powerball.load import load_powerball
from trainer.powerball.models import MODEL_KINDS, model_name, top_numbers
from trainer.powerball.prizes import expected_prize, prize_by_matches
from trainer.powerball.walkforward import (
    BOOTSTRAP,
    EVAL_DRAWS,
    RETRAIN_EVERY,
    SEED,
    Forecast,
    Skill,
    measure_skill,
    walk_forward,
)
from trainer.stats import Interval, bootstrap_mean

MC_SIMULATIONS = 2000
PLOT_FILE = "powerball_frequencies.png"
RANDOM_TICKETS_PER_DRAW = 200


def simulate_counts(
    n_draws: int, n_numbers: int, per_draw: int, n_sims: int, rng: np.random.Generator
) -> np.ndarray:
    """(n_sims, n_numbers) counts of each number over n_draws uniform draws of per_draw distinct
    numbers (without replacement). Rejection sampling: redraw any draw with a repeated number,
    which leaves every set of distinct numbers equally likely."""
    out = np.empty((n_sims, n_numbers), dtype=np.int64)
    chunk = max(1, 200_000 // max(1, n_draws))
    for start in range(0, n_sims, chunk):
        size = min(chunk, n_sims - start)
        balls = rng.integers(0, n_numbers, size=(size * n_draws, per_draw))
        while per_draw > 1:
            ordered = np.sort(balls, axis=1)
            bad = (np.diff(ordered, axis=1) == 0).any(axis=1)
            if not bad.any():
                break
            balls[bad] = rng.integers(0, n_numbers, size=(int(bad.sum()), per_draw))
        sim = np.repeat(np.arange(size), n_draws * per_draw)
        flat = np.bincount(sim * n_numbers + balls.ravel(), minlength=size * n_numbers)
        out[start : start + size] = flat.reshape(size, n_numbers)
    return out


def chi_square_statistic(counts: np.ndarray, expected: float) -> np.ndarray:
    return ((np.asarray(counts, dtype=np.float64) - expected) ** 2 / expected).sum(axis=-1)


@dataclass
class ChiSquareResult:
    ball: str
    n_draws: int
    statistic: float
    df: int
    p_plain: float  # chi-square(N-1) tail: conservative for white balls
    p_monte_carlo: float  # (1 + #simulated >= observed) / (1 + n_sims)
    n_sims: int
    expected: float  # expected count per number
    counts: np.ndarray = field(repr=False)
    band_pointwise: tuple[float, float] = (0.0, 0.0)  # 95% range of one number's count
    band_simultaneous: tuple[float, float] = (0.0, 0.0)  # 95% range holding for all numbers


def chi_square_uniformity(
    hits: np.ndarray, per_draw: int, n_sims: int = MC_SIMULATIONS, seed: int = SEED
) -> ChiSquareResult:
    """Chi-square test that every number is equally likely, with a Monte Carlo p-value."""
    hits = np.asarray(hits, dtype=bool)
    n_draws, n_numbers = hits.shape
    counts = hits.sum(axis=0)
    expected = n_draws * per_draw / n_numbers
    observed = float(chi_square_statistic(counts, expected))
    sims = simulate_counts(n_draws, n_numbers, per_draw, n_sims, np.random.default_rng(seed))
    simulated = chi_square_statistic(sims, expected)
    p_mc = (1 + int((simulated >= observed - 1e-9).sum())) / (1 + n_sims)
    p = per_draw / n_numbers
    pointwise = stats.binom.ppf([0.025, 0.975], n_draws, p)
    max_dev = np.abs(sims - expected).max(axis=1)  # the widest deviation among all numbers
    half = float(np.percentile(max_dev, 95))
    return ChiSquareResult(
        ball="white" if per_draw > 1 else "red",
        n_draws=n_draws,
        statistic=observed,
        df=n_numbers - 1,
        p_plain=float(stats.chi2.sf(observed, n_numbers - 1)),
        p_monte_carlo=float(p_mc),
        n_sims=n_sims,
        expected=float(expected),
        counts=counts,
        band_pointwise=(float(pointwise[0]), float(pointwise[1])),
        band_simultaneous=(expected - half, expected + half),
    )


# ---------------------------------------------------------------- walk-forward


# ---------------------------------------------------------------- prize-weighted return


@dataclass
class PrizeReturn:
    label: str
    per_ticket: Interval  # dollars won per $2 ticket, jackpot excluded


def _ticket_prizes(
    whites: list[np.ndarray], reds: list[int], hits_w: np.ndarray, hits_r: np.ndarray
) -> np.ndarray:
    out = np.empty(len(whites))
    for i, (w, r) in enumerate(zip(whites, reds, strict=True)):
        matches = int(hits_w[i, w - 1].sum())
        out[i] = prize_by_matches(matches, bool(hits_r[i, r - 1]))
    return out


def prize_returns(forecasts: dict[str, Forecast], seed: int = SEED) -> list[PrizeReturn]:
    """Return per $2 of each model family's ticket (top-5 whites + top Powerball) and of random
    tickets on the same draws; the jackpot is excluded (valued at $0)."""
    out: list[PrizeReturn] = []
    hits_w = forecasts[model_name(WHITE, MODEL_KINDS[0])].hits
    hits_r = forecasts[model_name(RED, MODEL_KINDS[0])].hits
    for kind in MODEL_KINDS:
        fw, fr = forecasts[model_name(WHITE, kind)], forecasts[model_name(RED, kind)]
        whites = [top_numbers(p, 5) for p in fw.probs]
        reds = [int(top_numbers(p, 1)[0]) for p in fr.probs]
        won = _ticket_prizes(whites, reds, hits_w, hits_r)
        out.append(PrizeReturn(f"{kind} picks", bootstrap_mean(won, BOOTSTRAP, SEED)))
    rng = np.random.default_rng(seed)
    n_draws, m = len(hits_w), RANDOM_TICKETS_PER_DRAW
    # random tickets: 5 distinct whites = the 5 smallest of 69 random keys, per ticket
    whites = np.argsort(rng.random((n_draws, m, WHITE.n_numbers)), axis=2)[:, :, :5]
    reds = rng.integers(0, RED.n_numbers, size=(n_draws, m))
    rows = np.arange(n_draws)[:, None]
    matches = hits_w[rows[:, :, None], whites].sum(axis=2)
    pb = hits_r[rows, reds]
    table = np.array([[prize_by_matches(w, b) for b in (False, True)] for w in range(6)])
    per_draw = table[matches, pb.astype(int)].mean(axis=1)
    out.append(
        PrizeReturn(
            f"random picks ({RANDOM_TICKETS_PER_DRAW} per draw)",
            bootstrap_mean(per_draw, BOOTSTRAP, SEED),
        )
    )
    return out


# ---------------------------------------------------------------- plot and report


def plot_frequencies(results: list[ChiSquareResult], path: Path) -> None:
    """Observed count per number against the uniform expectation and its 95% bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(results), 1, figsize=(12, 4 * len(results)))
    for ax, res in zip(np.atleast_1d(axes), results, strict=True):
        numbers = np.arange(1, len(res.counts) + 1)
        color = "#4c72b0" if res.ball == "white" else "#c44e52"
        # stems from the expectation: deviations are what matters, and no truncated bars
        ax.axhspan(*res.band_pointwise, color="grey", alpha=0.25, label="95% band, one number")
        ax.axhline(res.expected, color="black", lw=1, label="uniform expectation")
        ax.vlines(numbers, res.expected, res.counts, color=color, lw=1.5)
        ax.plot(numbers, res.counts, "o", color=color, ms=4, label="observed")
        for y in res.band_simultaneous:
            ax.axhline(y, color="black", ls="--", lw=0.8)
        ax.plot([], [], color="black", ls="--", lw=0.8, label="95% band, all numbers at once")
        title = "White balls (1-69)" if res.ball == "white" else "Powerball (1-26)"
        ax.set_title(
            f"{title}: {res.n_draws} draws, chi-square {res.statistic:.1f} (df {res.df}), "
            f"Monte Carlo p = {res.p_monte_carlo:.3f}"
        )
        ax.set_xlabel("number")
        ax.set_ylabel("times drawn")
        ax.set_xlim(0.3, len(res.counts) + 0.7)
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)


def _fmt(iv: Interval, digits: int = 4) -> str:
    return f"{iv.mean:.{digits}f} [{iv.low:.{digits}f}, {iv.high:.{digits}f}]"


def verdict(skills: list[Skill]) -> str:
    """The plain-words answer to "does any model beat uniform, and by how much"."""
    winners = [s for s in skills if s.beats_uniform]
    best = max(skills, key=lambda s: s.log_loss_skill.mean)
    how_much = (
        f"{best.log_loss_skill.mean:+.5f} nats per draw "
        f"(95% interval {best.log_loss_skill.low:+.5f} to {best.log_loss_skill.high:+.5f}), "
        f"{best.skill_percent:+.3f}% of the uniform log-loss"
    )
    if winners:
        names = ", ".join(s.name for s in winners)
        return (
            f"**{names} beat{'s' if len(winners) == 1 else ''} uniform on log-loss** (the whole "
            f"95% interval is above zero). Best: {best.name}, {how_much}. Treat a margin this "
            "small with suspicion: with four models, one can clear the bar by chance."
        )
    return (
        "**No model beats uniform.** On draws the models never saw, none has a log-loss "
        "interval above zero; the best, "
        f"{best.name}, scores {how_much}. The models' top picks match as many numbers as random "
        "picks do (within the intervals). This is what random draws predict: the history "
        "carries no usable signal for the next draw, and the numbers the app shows are "
        "entertainment, not an edge."
    )


@dataclass
class PowerballEvaluation:
    """Everything the report says, computed once: the method's results before any formatting."""

    draws: pd.DataFrame
    dates: np.ndarray  # the scored draws' dates
    retrain_every: int
    n_sims: int
    skills: list[Skill]
    returns: list[PrizeReturn]
    chi: list[ChiSquareResult]
    exact: float  # the exact expected prize of any $2 ticket, jackpot excluded


def compute(
    draws: pd.DataFrame, n_eval: int, retrain_every: int, n_sims: int, progress: Progress
) -> PowerballEvaluation:
    """Walk forward, measure skill and prize returns, and test the history's uniformity."""
    forecasts = walk_forward(draws, n_eval, retrain_every, progress)
    return PowerballEvaluation(
        draws=draws,
        dates=next(iter(forecasts.values())).dates,
        retrain_every=retrain_every,
        n_sims=n_sims,
        skills=[measure_skill(f) for f in forecasts.values()],
        returns=prize_returns(forecasts),
        chi=[
            chi_square_uniformity(indicator_matrix(draws, WHITE), WHITE.per_draw, n_sims),
            chi_square_uniformity(indicator_matrix(draws, RED), RED.per_draw, n_sims),
        ],
        exact=float(expected_prize()),
    )


def headline_rows(ev: PowerballEvaluation) -> list[dict[str, Any]]:
    """The summary rows: log-loss and matches against uniform, prize returns, uniformity."""
    rows: list[dict[str, Any]] = []
    for s in ev.skills:
        rows.append(
            {
                "section": "powerball",
                "model": s.name,
                "metric": "log-loss per draw",
                "model_value": round(s.log_loss.mean, 5),
                "baseline": "uniform",
                "baseline_value": round(s.log_loss_uniform, 5),
                "skill": round(s.log_loss_skill.mean, 5),
                "skill_ci95": [round(s.log_loss_skill.low, 5), round(s.log_loss_skill.high, 5)],
                "beats_baseline": s.beats_uniform,
            }
        )
    for s in ev.skills:
        rows.append(
            {
                "section": "powerball",
                "model": s.name,
                "metric": "top-5 white matches" if s.ball == "white" else "Powerball hits",
                "model_value": round(s.hits.mean, 4),
                "baseline": "uniform",
                "baseline_value": round(s.hits_expected, 4),
                "skill": round(s.hits.mean - s.hits_expected, 4),
                "skill_ci95": [
                    round(s.hits.low - s.hits_expected, 4),
                    round(s.hits.high - s.hits_expected, 4),
                ],
                "beats_baseline": s.hits.low > s.hits_expected,
            }
        )
    exact = ev.exact
    for r in ev.returns[:-1]:
        rows.append(
            {
                "section": "powerball",
                "model": r.label,
                "metric": "prize return per $2 (no jackpot)",
                "model_value": round(r.per_ticket.mean, 3),
                "baseline": "any ticket, exact",
                "baseline_value": round(exact, 3),
                "skill": round(r.per_ticket.mean - exact, 3),
                "skill_ci95": [
                    round(r.per_ticket.low - exact, 3),
                    round(r.per_ticket.high - exact, 3),
                ],
                "beats_baseline": r.per_ticket.low > exact,
            }
        )
    for c in ev.chi:
        rows.append(
            {
                "section": "powerball",
                "model": f"chi-square {c.ball}",
                "metric": "uniformity p-value (Monte Carlo)",
                "model_value": round(c.p_monte_carlo, 4),
                "baseline": "p >= 0.05: consistent with uniform",
                "baseline_value": 0.05,
                "skill": None,
                "skill_ci95": None,
                "beats_baseline": None,
            }
        )
    return rows


def render(ev: PowerballEvaluation) -> str:
    """The report's Markdown section."""
    draws, dates, skills, exact = ev.draws, ev.dates, ev.skills, ev.exact
    retrain_every, returns, chi, n_sims = ev.retrain_every, ev.returns, ev.chi, ev.n_sims
    lines = [
        "## Powerball",
        "",
        f"Data: {len(draws)} draws of the current matrix, {iso_date(draws['draw_date'].min())} "
        f"to {iso_date(draws['draw_date'].max())}. Walk-forward over the last {len(dates)} draws "
        f"({iso_date(dates[0])} to {iso_date(dates[-1])}): hyperparameters chosen by "
        "time-ordered grid search on the earlier draws only; models refitted every "
        f"{retrain_every} draws on everything before the block they score. 95% intervals: "
        f"bootstrap over scored draws ({BOOTSTRAP} resamples, fixed seed).",
        "",
        "### Verdict",
        "",
        verdict(skills),
        "",
        "### Log-loss per draw (lower is better; skill = uniform minus model, > 0 is better)",
        "",
        "Sum over the numbers of the Bernoulli log-loss of each number's inclusion probability "
        "(model scores rescaled to sum to 5 for whites, 1 for the Powerball); uniform is 5/69 "
        "and 1/26.",
        "",
        "| model | model log-loss [95%] | uniform | skill [95%] | skill % | beats uniform |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for s in skills:
        lines.append(
            f"| {s.name} | {_fmt(s.log_loss)} | {s.log_loss_uniform:.4f} | "
            f"{_fmt(s.log_loss_skill, 5)} | {s.skill_percent:+.3f}% | "
            f"{'yes' if s.beats_uniform else 'no'} |"
        )
    lines += [
        "",
        "### Matches of the model's top pick",
        "",
        "| model | pick | mean matches per draw [95%] | uniform expectation |",
        "| --- | --- | --- | --- |",
    ]
    for s in skills:
        pick = "top-5 whites" if s.ball == "white" else "top Powerball"
        expect = "25/69 = 0.3623" if s.ball == "white" else "1/26 = 0.0385"
        lines.append(f"| {s.name} | {pick} | {_fmt(s.hits)} | {expect} |")
    lines += [
        "",
        "### Prize-weighted return per $2 ticket (jackpot excluded)",
        "",
        "A model's ticket is its top-5 whites and its top Powerball. The jackpot is valued at $0 "
        "(pari-mutuel, and the shipped data has no jackpot amounts) and Power Play is not played, "
        f"so the exact expected return of any ticket is ${exact:.4f} per $2 "
        f"({100 * exact / 2:.1f}% of the stake).",
        "",
        "| tickets | dollars won per $2 ticket [95%] |",
        "| --- | --- |",
    ]
    for r in returns:
        lines.append(f"| {r.label} | {_fmt(r.per_ticket, 3)} |")
    lines.append(f"| any ticket, exact expectation | {exact:.3f} |")
    lines += [
        "",
        "Rare prizes ($50,000 and $1,000,000 at 1 in 913,129 and 1 in 11,688,054) dominate any "
        "sample mean, so the exact expectation is the reliable baseline; the random sample shows "
        "how far luck alone moves a sample of this size.",
    ]
    lines += [
        "",
        "### Uniformity of the history (chi-square)",
        "",
        f"Monte Carlo p-value from {n_sims} simulated histories of the same length "
        "(draws without replacement, fixed seed). The plain chi-square p-value is shown for "
        "comparison; for white balls it is conservative (the statistic's mean under uniformity "
        "is 64, not 68).",
        "",
        "| balls | draws | chi-square | df | p (plain) | p (Monte Carlo) | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in chi:
        label = "white (1-69)" if c.ball == "white" else "Powerball (1-26)"
        said = "consistent with uniform" if c.p_monte_carlo >= 0.05 else "uniformity rejected at 5%"
        lines.append(
            f"| {label} | {c.n_draws} | {c.statistic:.2f} | {c.df} | {c.p_plain:.4f} | "
            f"{c.p_monte_carlo:.4f} | {said} |"
        )
    lines += [
        "",
        f"![Observed frequencies against the uniform band]({PLOT_FILE})",
        "",
        "Lottery draws are designed to be random. A model trained on past draws cannot be "
        "expected to predict the next one, and the numbers above measure exactly that.",
        "",
    ]
    return "\n".join(lines)


def evaluate_powerball(
    report_dir: Path,
    progress: Progress = print_progress,
    draws: pd.DataFrame | None = None,
    n_eval: int = EVAL_DRAWS,
    retrain_every: int = RETRAIN_EVERY,
    n_sims: int = MC_SIMULATIONS,
) -> tuple[str, list[dict[str, Any]]]:
    """Run the walk-forward evaluation and uniformity tests, write the plot into report_dir, and
    return (Markdown section, headline rows). draws defaults to the shipped history; the other
    knobs exist so tests can run a small version."""
    report_dir = Path(report_dir)
    draws = load_powerball() if draws is None else draws
    ev = compute(draws, n_eval, retrain_every, n_sims, progress)
    plot_frequencies(ev.chi, report_dir / PLOT_FILE)
    progress(f"[powerball] wrote {report_dir / PLOT_FILE}")
    return render(ev), headline_rows(ev)
