"""Walk-forward evaluation of the scratch-off forecasts against baselines (DESIGN.md, Forecasts).

Protocol (nothing from the scored weeks touches training or hyperparameters):
- The scored period is the last EVAL_WEEKS weeks of labelled days. Hyperparameters are chosen once,
  by the same time-ordered grid search as training, on rows whose labels were known before the
  scored period starts (day <= first scored day - 14).
- Walk forward one week at a time: to score days m..m+6, refit every model on the rows with
  day <= m - 14 (the 14-day label of a training row is then known on day m) and predict.
- Baselines, from the same information: regression: persistence (change 0) and trend (the last
  14 days' change repeated, the `ev_change_14d_past` feature); classifier: the base rate of the
  labels known on the scored day t (day <= t - 14), and each game's own past claim rate (its known
  labels' rate, shrunk toward the base rate with a prior of 14 rows so a short history does not
  give 0 or 1): the same rule as the live scorecard (trainer/scratchoff/scorecard.py).
- Metrics: MAE and skill = 1 - MAE_model / MAE_baseline; log-loss, Brier, Brier skill, ROC AUC and
  a calibration table. 95% intervals: circular block bootstrap over scored days (blocks of
  BLOCK_DAYS consecutive days, BOOTSTRAP resamples, fixed seed).
  A model "beats" a baseline only when the skill interval lies above zero.

The report is a list of `ReportSection`s, so other sections (Powerball) can be appended to the
same file by `write_report`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from trainer.modeling import Progress, print_progress  # noqa: E402
from trainer.report import ReportSection  # noqa: E402
from trainer.scratchoff.features import FEATURE_NAMES, HORIZON_DAYS, day_iso, feature_frame  # noqa: E402
from trainer.scratchoff.forecast import (  # noqa: E402
    SPECS,
    ModelSpec,
    fit_fixed,
    grid_search,
    labelled,
    load_frame,
    matrix,
    predict,
)
from trainer.scratchoff.scorecard import claim_rates  # noqa: E402
from trainer.stats import (  # noqa: E402
    Interval,
    day_bootstrap_indices,
    skill_interval,
)

EVAL_WEEKS = 4
STEP_DAYS = 7
BOOTSTRAP = 1000
BLOCK_DAYS = 7  # bootstrap block: a week of consecutive scored days
SEED = 20260721
CALIBRATION_BINS = 10
EPS = 1e-6  # probabilities are clipped to [EPS, 1 - EPS] for log-loss
REGRESSION_BASELINES = ["persistence", "trend"]
CLASSIFIER_BASELINES = ["base_rate", "game_rate"]


# ---- walk forward -------------------------------------------------------------------------------


def scoring_starts(days: np.ndarray, weeks: int = EVAL_WEEKS, step: int = STEP_DAYS) -> list[int]:
    """First day of each scored week: the last `weeks` weeks of labelled days."""
    last = int(np.max(days))
    first = last - weeks * step + 1
    return [first + i * step for i in range(weeks)]


def claim_baselines(rows: pd.DataFrame, score: pd.DataFrame, target: str) -> pd.DataFrame:
    """The base rate and each game's own rate for every scored row, from the labels known on its
    day t (day <= t - 14), as the live scorecard computes them (scorecard.claim_rates)."""
    out = pd.DataFrame(index=score.index, columns=["base_rate", "game_rate"], dtype=np.float64)
    for day, part in score.groupby("day"):
        known = rows[rows["day"] <= day - HORIZON_DAYS]
        counts = known.groupby(["state", "game_number"])[target].agg(["sum", "count"])
        base_claims, base_n = float(known[target].sum()), len(known)
        rates = []
        for key in zip(part["state"], part["game_number"], strict=True):
            claims, n = counts.loc[key] if key in counts.index else (0.0, 0)
            rates.append(claim_rates(base_claims, base_n, float(claims), int(n)))
        out.loc[part.index] = rates
    return out


def walk_forward(
    features: pd.DataFrame,
    params: dict[str, dict[str, Any]],
    specs: list[ModelSpec] = SPECS,
    weeks: int = EVAL_WEEKS,
    progress: Progress = print_progress,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Per target, the scored rows with the models' and baselines' predictions; plus the models
    fitted for the last week (for feature importance)."""
    out: dict[str, list[pd.DataFrame]] = {}
    last_models: dict[str, Any] = {}
    for target in sorted({s.target for s in specs}):
        rows = labelled(features, target)
        starts = scoring_starts(rows["day"].to_numpy(), weeks)
        for m in starts:
            train = rows[rows["day"] <= m - HORIZON_DAYS]
            score = rows[(rows["day"] >= m) & (rows["day"] < m + STEP_DAYS)].copy()
            if train.empty or score.empty:
                continue
            X = matrix(score)
            for spec in (s for s in specs if s.target == target):
                model = fit_fixed(spec, train, params[spec.name])
                score[spec.name] = predict(model, spec, X)
                last_models[spec.name] = model
            names = [s.name for s in specs if s.target == target]
            score["ensemble"] = score[names].mean(axis=1)
            if target == "ev_change_14d":
                score["persistence"] = 0.0
                score["trend"] = score["ev_change_14d_past"]
            else:
                score[["base_rate", "game_rate"]] = claim_baselines(rows, score, target)
            out.setdefault(target, []).append(score)
            progress(
                f"[evaluate] {target}: week from day {day_iso(m)}: trained on {len(train)} rows "
                f"(to {day_iso(m - HORIZON_DAYS)}), scored {len(score)}"
            )
    return {t: pd.concat(parts, ignore_index=True) for t, parts in out.items()}, last_models


# ---- metrics ------------------------------------------------------------------------------------


def _clip(p: np.ndarray) -> np.ndarray:
    return np.clip(p, EPS, 1.0 - EPS)


def row_losses(scored: pd.DataFrame, target: str, column: str) -> dict[str, np.ndarray]:
    """Per-row losses of one prediction column: abs error, or log-loss and Brier."""
    y = scored[target].to_numpy(dtype=np.float64)
    p = scored[column].to_numpy(dtype=np.float64)
    if target == "ev_change_14d":
        return {"mae": np.abs(p - y)}
    q = _clip(p)
    return {
        "log_loss": -(y * np.log(q) + (1.0 - y) * np.log(1.0 - q)),
        "brier": (p - y) ** 2,
    }


def auc_interval(y: np.ndarray, p: np.ndarray, resamples: list[np.ndarray]) -> Interval | None:
    if len(np.unique(y)) < 2:
        return None
    values = [roc_auc_score(y[i], p[i]) for i in resamples if len(np.unique(y[i])) == 2]
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(float(roc_auc_score(y, p)), float(low), float(high))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Equal-width probability bins: rows, mean predicted, observed rate."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            rows.append(
                {
                    "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                    "rows": int(mask.sum()),
                    "mean_predicted": float(p[mask].mean()),
                    "observed_rate": float(y[mask].mean()),
                }
            )
    return pd.DataFrame(rows)


def verdict_words(model: str, baseline: str, skill: Interval) -> str:
    if skill.low > 0:
        return f"{model} beats {baseline} (skill interval above zero)."
    if skill.high < 0:
        return f"{model} does not beat {baseline}: it is worse (skill interval below zero)."
    return (
        f"{model} does not beat {baseline}: the skill interval includes zero (no measurable skill)."
    )


def _headline(
    model: str, metric: str, mv: float, baseline: str, bv: float, skill: Interval
) -> dict[str, Any]:
    return {
        "section": "scratchoff",
        "model": model,
        "metric": metric,
        "model_value": round(mv, 6),
        "baseline": baseline,
        "baseline_value": round(bv, 6),
        "skill": round(skill.mean, 4),
        "skill_ci95": [round(skill.low, 4), round(skill.high, 4)],
        "beats_baseline": bool(skill.low > 0),
    }


# ---- plots --------------------------------------------------------------------------------------


def plot_forecast_vs_actual(scored: pd.DataFrame, models: list[str], path: Path) -> None:
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 4.5), squeeze=False)
    y = scored["ev_change_14d"].to_numpy()
    lo, hi = float(np.percentile(y, 0.5)), float(np.percentile(y, 99.5))
    for ax, name in zip(axes[0], models, strict=True):
        ax.scatter(scored[name], y, s=4, alpha=0.4)
        ax.plot([lo, hi], [lo, hi], color="black", linewidth=1, label="forecast = actual")
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel("forecast change in ev_per_dollar (14 d)")
        ax.set_ylabel("actual change")
        ax.set_title(name)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_calibration(scored: pd.DataFrame, columns: list[str], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5.5, 5))
    y = scored["top_prize_claim_14d"].to_numpy()
    for name in columns:
        table = calibration_table(y, scored[name].to_numpy())
        ax.plot(table["mean_predicted"], table["observed_rate"], marker="o", label=name)
    ax.plot([0, 1], [0, 1], color="black", linewidth=1, linestyle="--", label="perfect")
    ax.set_xlabel("predicted probability of a top-prize claim in 14 days")
    ax.set_ylabel("observed rate")
    ax.set_title("Calibration (walk-forward)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def feature_importance(model: Any) -> np.ndarray:
    """Normalised importance: impurity for forests, total gain for XGBoost."""
    if hasattr(model, "get_booster"):
        gain = model.get_booster().get_score(importance_type="total_gain")
        values = np.array([gain.get(f"f{i}", 0.0) for i in range(len(FEATURE_NAMES))])
    else:
        values = np.asarray(model.feature_importances_, dtype=np.float64)
    total = values.sum()
    return values / total if total > 0 else values


def plot_importance(models: dict[str, Any], path: Path) -> None:
    names = list(models)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 6), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        imp = feature_importance(models[name])
        order = np.argsort(imp)
        ax.barh([FEATURE_NAMES[i] for i in order], imp[order])
        ax.set_title(name, fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---- the section --------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def choose_hyperparameters(
    features: pd.DataFrame, first_scored: int, progress: Progress
) -> dict[str, dict[str, Any]]:
    """Grid search on rows whose labels were known before the scored period."""
    params = {}
    for spec in SPECS:
        rows = labelled(features, spec.target)
        rows = rows[rows["day"] <= first_scored - HORIZON_DAYS]
        result = grid_search(spec, rows)
        params[spec.name] = result.params
        progress(f"[evaluate] {spec.name}: hyperparameters {result.params} ({result.seconds:.1f}s)")
    return params


REG_MODELS = ["ev_change_14d_rf", "ev_change_14d_xgb", "ensemble"]
CLF_MODELS = ["top_prize_claim_14d_rf", "top_prize_claim_14d_xgb", "ensemble"]


def _display(model: str, target: str) -> str:
    return model if model != "ensemble" else f"{target} mean of rf and xgb"


@dataclass(frozen=True)
class Comparison:
    """One model against one baseline on one metric, over the scored rows."""

    model: str
    baseline: str
    metric: str  # "MAE", "Brier" or "log-loss"
    model_value: float
    baseline_value: float
    skill: Interval

    @property
    def beats(self) -> bool:
        return self.skill.low > 0


@dataclass
class ScratchoffEvaluation:
    """Everything the section says, computed once: the method's results before any formatting."""

    features: pd.DataFrame
    weeks: int
    n_boot: int
    starts: list[int]
    params: dict[str, dict[str, Any]]
    last_models: dict[str, Any]
    regression: pd.DataFrame  # scored rows with each model's and baseline's forecast
    classification: pd.DataFrame
    reg: list[Comparison]
    clf: list[Comparison]
    auc: dict[str, Interval | None]


def compute(
    frame: pd.DataFrame, weeks: int, n_boot: int, progress: Progress
) -> ScratchoffEvaluation:
    """Walk forward, then compare every model with every baseline with block-bootstrap skill."""
    features = feature_frame(frame)
    labelled_days = labelled(features, "ev_change_14d")["day"].to_numpy()
    starts = scoring_starts(labelled_days, weeks)
    params = choose_hyperparameters(features, starts[0], progress)
    scored, last_models = walk_forward(features, params, weeks=weeks, progress=progress)

    reg = scored["ev_change_14d"]
    res = day_bootstrap_indices(reg["day"].to_numpy(), n_boot, SEED, BLOCK_DAYS)
    mae = {c: row_losses(reg, "ev_change_14d", c)["mae"] for c in REG_MODELS}
    mae.update({b: row_losses(reg, "ev_change_14d", b)["mae"] for b in REGRESSION_BASELINES})
    reg_comparisons = [
        Comparison(
            _display(model, "ev_change_14d"),
            base,
            "MAE",
            float(mae[model].mean()),
            float(mae[base].mean()),
            skill_interval(mae[model], mae[base], res),
        )
        for model in REG_MODELS
        for base in REGRESSION_BASELINES
    ]

    clf = scored["top_prize_claim_14d"]
    res_c = day_bootstrap_indices(clf["day"].to_numpy(), n_boot, SEED, BLOCK_DAYS)
    y = clf["top_prize_claim_14d"].to_numpy()
    closs = {
        c: row_losses(clf, "top_prize_claim_14d", c) for c in CLF_MODELS + CLASSIFIER_BASELINES
    }
    clf_comparisons = [
        Comparison(
            _display(model, "top_prize_claim_14d"),
            base,
            "Brier" if metric == "brier" else "log-loss",
            float(closs[model][metric].mean()),
            float(closs[base][metric].mean()),
            skill_interval(closs[model][metric], closs[base][metric], res_c),
        )
        for model in CLF_MODELS
        for base in CLASSIFIER_BASELINES
        for metric in ("brier", "log_loss")
    ]
    auc = {
        col: auc_interval(y, clf[col].to_numpy(), res_c)
        for col in CLF_MODELS + CLASSIFIER_BASELINES
    }
    return ScratchoffEvaluation(
        features,
        weeks,
        n_boot,
        starts,
        params,
        last_models,
        reg,
        clf,
        reg_comparisons,
        clf_comparisons,
        auc,
    )


def summarise(ev: ScratchoffEvaluation) -> tuple[list[dict[str, Any]], list[str]]:
    """The headline rows and the verdicts in words (Brier only for the classifiers)."""
    headline = [
        _headline(c.model, c.metric, c.model_value, c.baseline, c.baseline_value, c.skill)
        for c in ev.reg + ev.clf
    ]
    verdicts = [verdict_words(c.model, f"the {c.baseline} baseline", c.skill) for c in ev.reg]
    verdicts += [
        verdict_words(c.model, f"the {c.baseline} baseline (Brier skill)", c.skill)
        for c in ev.clf
        if c.metric == "Brier"
    ]
    return headline, verdicts


def write_plots(ev: ScratchoffEvaluation, report_dir: Path) -> None:
    plot_forecast_vs_actual(
        ev.regression, REG_MODELS[:2], report_dir / "scratchoff_forecast_vs_actual.png"
    )
    plot_calibration(
        ev.classification,
        CLF_MODELS[:2] + CLASSIFIER_BASELINES,
        report_dir / "scratchoff_calibration.png",
    )
    plot_importance(ev.last_models, report_dir / "scratchoff_feature_importance.png")


def render(ev: ScratchoffEvaluation, headline: list[dict[str, Any]], verdicts: list[str]) -> str:
    """The section's Markdown."""
    features, weeks, n_boot, starts = ev.features, ev.weeks, ev.n_boot, ev.starts
    reg, clf, params, last_models = ev.regression, ev.classification, ev.params, ev.last_models
    y = clf["top_prize_claim_14d"].to_numpy()
    reg_rows = [
        [c.model, c.baseline, f"{c.model_value:.5f}", f"{c.baseline_value:.5f}"]
        + [c.skill.text(3), "yes" if c.beats else "no"]
        for c in ev.reg
    ]
    clf_rows = [
        [c.model, c.baseline, c.metric, f"{c.model_value:.4f}", f"{c.baseline_value:.4f}"]
        + [c.skill.text(3), "yes" if c.beats else "no"]
        for c in ev.clf
    ]
    auc_rows = [[col, auc.text(3) if auc else "n/a (one class)"] for col, auc in ev.auc.items()]
    md: list[str] = []
    d0, d1 = int(features["day"].min()), int(features["day"].max())
    any_beats = any(h["beats_baseline"] for h in headline)
    md += [
        f"Data: {features['game_number'].nunique()} games, {len(features)} game-days, "
        f"{day_iso(d0)} to {day_iso(d1)}. Scored: the last {weeks} weeks of labelled days "
        f"({day_iso(starts[0])} to {day_iso(int(reg['day'].max()))}), {len(reg)} game-days; "
        "each week scored by models refitted on rows up to 14 days before it (labels known by "
        "then). Hyperparameters chosen by time-ordered grid search on rows labelled before the "
        f"scored period. 95% intervals: circular block bootstrap over scored days (blocks of "
        f"{BLOCK_DAYS} days, {n_boot} resamples, seed {SEED}). Caveats: one state, "
        f"{features['day'].nunique()} days of history and {weeks} scored weeks whose 14-day "
        "target windows overlap, so the intervals are if anything too narrow; skill on this "
        "period is no promise for another.",
        "",
        "### Verdict",
        "",
        (
            "At least one model beats a baseline with an interval above zero; see below."
            if any_beats
            else "No model beats any baseline with an interval above zero: no measured skill."
        ),
        "",
        *[f"- {v}" for v in verdicts],
        "",
        "What drives them (top features by importance, models of the last scored week): "
        + "; ".join(
            f"{name}: "
            + ", ".join(FEATURE_NAMES[i] for i in np.argsort(-feature_importance(m))[:3])
            for name, m in last_models.items()
        )
        + ". Where these are today's arithmetic (top prizes left, sales pace), the skill is "
        "bookkeeping made visible, not foresight of who scratches a winning ticket.",
        "",
        "Hyperparameters used: " + "; ".join(f"{k}: {v}" for k, v in params.items()) + ".",
        "",
        "### ev_change_14d (regression): MAE, lower is better; skill = 1 - MAE/MAE_baseline",
        "",
        *_table(
            ["model", "baseline", "MAE model", "MAE baseline", "skill [95% CI]", "beats"], reg_rows
        ),
        "",
        "![forecast vs actual](scratchoff_forecast_vs_actual.png)",
        "",
        "### top_prize_claim_14d (classification): skill = 1 - loss/loss_baseline",
        "",
        f"Positive rate in the scored rows: {y.mean():.3f} ({int(y.sum())} of {len(y)}).",
        "",
        *_table(
            ["model", "baseline", "metric", "model", "baseline", "skill [95% CI]", "beats"],
            clf_rows,
        ),
        "",
        "ROC AUC [95% CI]:",
        "",
        *_table(["predictor", "AUC"], auc_rows),
        "",
        "Calibration (walk-forward):",
        "",
    ]
    for col in CLF_MODELS[:2]:
        table = calibration_table(y, clf[col].to_numpy())
        md += [f"{col}:", ""]
        md += _table(
            ["bin", "rows", "mean predicted", "observed"],
            [
                [r.bin, str(r.rows), f"{r.mean_predicted:.3f}", f"{r.observed_rate:.3f}"]
                for r in table.itertuples()
            ],
        )
        md.append("")
    md += [
        "![calibration](scratchoff_calibration.png)",
        "",
        "### Feature importance (models of the last walk-forward week)",
        "",
        "![feature importance](scratchoff_feature_importance.png)",
        "",
    ]
    return "\n".join(md)


def scratchoff_section(
    report_dir: Path,
    frame: pd.DataFrame | None = None,
    progress: Progress = print_progress,
    *,
    source: str = "files",
    db_url: str | None = None,
    weeks: int = EVAL_WEEKS,
    n_boot: int = BOOTSTRAP,
) -> ReportSection:
    """Run the walk-forward evaluation, write the plots into report_dir, return the section."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    frame = load_frame(source, db_url) if frame is None else frame
    ev = compute(frame, weeks, n_boot, progress)
    write_plots(ev, report_dir)
    headline, verdicts = summarise(ev)
    return ReportSection("Scratch-off forecasts", render(ev, headline, verdicts), headline)
