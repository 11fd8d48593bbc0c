"""Walk-forward skill of the Powerball models against uniform randomness (DESIGN.md, Powerball).

Walk forward over the last EVAL_DRAWS draws: hyperparameters are chosen by the time-ordered grid
search on the draws before the evaluation period only, then each model is refitted every
RETRAIN_EVERY draws on everything before the block it scores. Per scored draw: the log-loss of the
model's inclusion probabilities against uniform (5/69, 1/26) and the matches of its top pick.
Training records this skill in the manifest; the evaluation report shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trainer.modeling import Progress, print_progress
from trainer.powerball.features import RED, WHITE, Ball, feature_table, iso_date
from trainer.powerball.load import load_powerball
from trainer.powerball.models import (
    MODEL_KINDS,
    fit_with,
    grid_search,
    inclusion_probabilities,
    model_name,
    positive_scores,
    top_numbers,
)
from trainer.stats import Interval, bootstrap_mean

EVAL_DRAWS = 300
RETRAIN_EVERY = 50
BOOTSTRAP = 2000
SEED = 20151007


def bernoulli_log_loss(probs: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Per draw (row): sum over numbers of -[y log p + (1-y) log(1-p)]."""
    probs = np.asarray(probs, dtype=np.float64)
    return -np.where(hits, np.log(probs), np.log1p(-probs)).sum(axis=1)


@dataclass
class Forecast:
    """One model's walk-forward forecasts for the scored draws."""

    name: str
    ball: Ball
    hyperparameters: dict[str, Any]
    probs: np.ndarray  # (draws, N) inclusion probabilities
    hits: np.ndarray  # (draws, N) bool, what was drawn
    dates: np.ndarray  # (draws,) dates of the scored draws


def walk_forward(
    draws: pd.DataFrame,
    n_eval: int = EVAL_DRAWS,
    retrain_every: int = RETRAIN_EVERY,
    progress: Progress = print_progress,
) -> dict[str, Forecast]:
    """Every model's forecasts for the last n_eval draws, each from data strictly before it."""
    out: dict[str, Forecast] = {}
    for ball in (WHITE, RED):
        table = feature_table(draws, ball)
        n = ball.n_numbers
        last = int(table.draw_index.max())
        start = last + 1 - n_eval
        if start <= int(table.draw_index.min()) + 10:
            raise ValueError(f"too few draws for a {n_eval}-draw walk-forward")
        scored = table.draw_index >= start
        hits = table.y[scored].reshape(-1, n).astype(bool)
        dates = table.draw_dates[-n_eval:]
        for kind in MODEL_KINDS:
            name = model_name(ball, kind)
            # hyperparameters from the draws before the scored period only
            params = dict(grid_search(kind, ball, table.before(start), refit=False).best_params_)
            scores = np.empty(int(scored.sum()))
            for block in range(start, last + 1, retrain_every):
                train = table.draw_index < block
                rows = (table.draw_index >= block) & (table.draw_index < block + retrain_every)
                model = fit_with(kind, ball, params, table.X[train], table.y[train])
                scores[rows[scored]] = positive_scores(model, table.X[rows])
            raw = scores.reshape(-1, n)
            probs = np.vstack([inclusion_probabilities(r, ball.per_draw) for r in raw])
            out[name] = Forecast(name, ball, params, probs, hits, dates)
            progress(f"[powerball] walk-forward {name}: {n_eval} draws, params {params}")
    return out


@dataclass
class Skill:
    name: str
    ball: str
    n_draws: int
    log_loss: Interval  # model, per draw
    log_loss_uniform: float  # per draw (constant under uniform)
    log_loss_skill: Interval  # uniform minus model, per draw: > 0 means better than uniform
    hits: Interval  # top-k matches per draw
    hits_expected: float  # under uniform

    @property
    def beats_uniform(self) -> bool:
        return self.log_loss_skill.low > 0

    @property
    def skill_percent(self) -> float:
        return 100 * self.log_loss_skill.mean / self.log_loss_uniform

    def as_dict(self, dates: np.ndarray) -> dict[str, Any]:
        return {
            "log_loss_skill_per_draw": self.log_loss_skill.mean,
            "log_loss_skill_ci95": [self.log_loss_skill.low, self.log_loss_skill.high],
            "eval_draws": self.n_draws,
            "eval_range": [iso_date(dates[0]), iso_date(dates[-1])],
            "log_loss_per_draw": self.log_loss.mean,
            "log_loss_per_draw_uniform": self.log_loss_uniform,
            "log_loss_skill_percent": self.skill_percent,
            "top_pick_mean_hits": self.hits.mean,
            "top_pick_mean_hits_ci95": [self.hits.low, self.hits.high],
            "top_pick_expected_hits_uniform": self.hits_expected,
            "beats_uniform": self.beats_uniform,
            "summary": self.summary,
        }

    @property
    def summary(self) -> str:
        """One line for the app: measured skill against uniform, in words."""
        head = "beats uniform" if self.beats_uniform else "no measurable skill over uniform"
        lo, hi = self.log_loss_skill.low, self.log_loss_skill.high
        return (
            f"{head}: log-loss {self.log_loss_skill.mean:+.4f} nats per draw "
            f"(95% interval {lo:+.4f} to {hi:+.4f}) over {self.n_draws} unseen draws"
        )


def measure_skill(forecast: Forecast) -> Skill:
    ball = forecast.ball
    model_ll = bernoulli_log_loss(forecast.probs, forecast.hits)
    uniform = np.full_like(forecast.probs, ball.base_rate)
    uniform_ll = bernoulli_log_loss(uniform, forecast.hits)
    k = ball.per_draw
    picks = [top_numbers(p, k) for p in forecast.probs]
    hits = np.array([forecast.hits[i, pick - 1].sum() for i, pick in enumerate(picks)])
    return Skill(
        name=forecast.name,
        ball=ball.name,
        n_draws=len(model_ll),
        log_loss=bootstrap_mean(model_ll, BOOTSTRAP, SEED),
        log_loss_uniform=float(uniform_ll.mean()),
        log_loss_skill=bootstrap_mean(uniform_ll - model_ll, BOOTSTRAP, SEED),
        hits=bootstrap_mean(hits, BOOTSTRAP, SEED),
        hits_expected=k * k / ball.n_numbers,  # hypergeometric mean: 25/69 whites, 1/26 red
    )


def walk_forward_skill(
    draws: pd.DataFrame | None = None, progress: Progress = print_progress
) -> dict[str, dict[str, Any]]:
    """Model name -> measured skill against uniform (for the manifest)."""
    draws = load_powerball() if draws is None else draws
    forecasts = walk_forward(draws, progress=progress)
    return {name: measure_skill(f).as_dict(f.dates) for name, f in forecasts.items()}
