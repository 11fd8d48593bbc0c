"""Walk-forward evaluation of the scratch-off forecasts against baselines (DESIGN.md, Forecasts).

Protocol (nothing from the scored weeks touches training or hyperparameters):
- The scored period is the last EVAL_WEEKS weeks of labelled days. Hyperparameters are chosen once,
  by the same time-ordered grid search as training, on rows whose labels were known before the
  scored period starts (day <= first scored day - 14).
- Walk forward one week at a time: to score days m..m+6, refit every model on the rows with
  day <= m - 14 (the 14-day label of a training row is then known on day m) and predict.
- Baselines, from the same information: regression: persistence (change 0) and trend (the last
  14 days' change repeated, the `ev_change_14d_past` feature); classifier: the base rate of the
  training rows, and each game's own past claim rate (its training rows' rate, shrunk toward the
  base rate with a prior of PRIOR_ROWS rows so a short history does not give 0 or 1).
- Metrics: MAE and skill = 1 - MAE_model / MAE_baseline; log-loss, Brier, Brier skill, ROC AUC and
  a calibration table. 95% intervals: circular block bootstrap over scored days (blocks of
  BLOCK_DAYS consecutive days, BOOTSTRAP resamples, fixed seed).
  A model "beats" a baseline only when the skill interval lies above zero.

The report is a list of `ReportSection`s, so other sections (Powerball) can be appended to the
same file by `write_report`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from trainer.features import FEATURE_NAMES, HORIZON_DAYS, feature_frame  # noqa: E402
from trainer.forecast import (  # noqa: E402
    SPECS,
    ModelSpec,
    fit_fixed,
    grid_search,
    labelled,
    load_frame,
    matrix,
    predict,
)
from trainer.modeling import Progress, print_progress  # noqa: E402

EVAL_WEEKS = 4
STEP_DAYS = 7
BOOTSTRAP = 1000
BLOCK_DAYS = 7  # bootstrap block: a week of consecutive scored days
SEED = 20260721
PRIOR_ROWS = 14.0  # game claim-rate baseline: shrink toward the base rate by 14 pseudo-rows
CALIBRATION_BINS = 10
EPS = 1e-6  # probabilities are clipped to [EPS, 1 - EPS] for log-loss
REGRESSION_BASELINES = ["persistence", "trend"]
CLASSIFIER_BASELINES = ["base_rate", "game_rate"]


@dataclass
class ReportSection:
    """One section of the report: Markdown (figures already written next to it) and its headline
    rows (dicts with section, model, metric, model_value, baseline, baseline_value, skill,
    skill_ci95, beats_baseline)."""

    title: str
    markdown: str
    headline: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float

    def text(self, digits: int = 3) -> str:
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


# ---- walk forward -------------------------------------------------------------------------------


def scoring_starts(days: np.ndarray, weeks: int = EVAL_WEEKS, step: int = STEP_DAYS) -> list[int]:
    """First day of each scored week: the last `weeks` weeks of labelled days."""
    last = int(np.max(days))
    first = last - weeks * step + 1
    return [first + i * step for i in range(weeks)]


def _game_rates(train: pd.DataFrame, target: str, base: float) -> dict[tuple[str, str], float]:
    grouped = train.groupby(["state", "game_number"])[target].agg(["sum", "count"])
    rates = (grouped["sum"] + PRIOR_ROWS * base) / (grouped["count"] + PRIOR_ROWS)
    return {k: float(v) for k, v in rates.items()}


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
                base = float(train[target].mean())
                rates = _game_rates(train, target, base)
                score["base_rate"] = base
                keys = zip(score["state"], score["game_number"], strict=True)
                score["game_rate"] = [rates.get(k, base) for k in keys]
            out.setdefault(target, []).append(score)
            progress(
                f"[evaluate] {target}: week from day {_iso(m)}: trained on {len(train)} rows "
                f"(to {_iso(m - HORIZON_DAYS)}), scored {len(score)}"
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


def day_bootstrap_indices(
    days: np.ndarray, n_boot: int = BOOTSTRAP, seed: int = SEED, block: int = BLOCK_DAYS
) -> list[np.ndarray]:
    """For each resample: the row indices of scored days drawn as a circular block bootstrap
    (runs of `block` consecutive scored days), because neighbouring days share most of their
    14-day target window and a plain day bootstrap would give intervals that are too narrow."""
    unique = np.unique(days)
    by_day = [np.flatnonzero(days == d) for d in unique]
    n = len(unique)
    block = max(1, min(block, n))
    n_blocks = -(-n // block)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_boot):
        starts = rng.integers(0, n, size=n_blocks)
        picked = ((starts[:, None] + np.arange(block)[None, :]) % n).ravel()[:n]
        out.append(np.concatenate([by_day[i] for i in picked]))
    return out


def skill_interval(
    model_loss: np.ndarray, base_loss: np.ndarray, resamples: list[np.ndarray]
) -> Interval:
    """1 - mean(model) / mean(baseline), with a percentile interval over day resamples."""
    point = 1.0 - model_loss.mean() / base_loss.mean()
    values = np.array([1.0 - model_loss[i].mean() / base_loss[i].mean() for i in resamples])
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(float(point), float(low), float(high))


def mean_interval(loss: np.ndarray, resamples: list[np.ndarray]) -> Interval:
    values = np.array([loss[i].mean() for i in resamples])
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(float(loss.mean()), float(low), float(high))


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


def _iso(day: int) -> str:
    return str((pd.Timestamp(0) + pd.Timedelta(days=int(day))).date())


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
    features = feature_frame(frame)
    labelled_days = labelled(features, "ev_change_14d")["day"].to_numpy()
    starts = scoring_starts(labelled_days, weeks)
    params = choose_hyperparameters(features, starts[0], progress)
    scored, last_models = walk_forward(features, params, weeks=weeks, progress=progress)

    headline: list[dict[str, Any]] = []
    verdicts: list[str] = []
    md: list[str] = []

    # Regression
    reg = scored["ev_change_14d"]
    reg_models = ["ev_change_14d_rf", "ev_change_14d_xgb", "ensemble"]
    res = day_bootstrap_indices(reg["day"].to_numpy(), n_boot)
    losses = {c: row_losses(reg, "ev_change_14d", c)["mae"] for c in reg_models}
    losses.update({b: row_losses(reg, "ev_change_14d", b)["mae"] for b in REGRESSION_BASELINES})
    reg_rows = []
    for model in reg_models:
        for base in REGRESSION_BASELINES:
            skill = skill_interval(losses[model], losses[base], res)
            name = model if model != "ensemble" else "ev_change_14d mean of rf and xgb"
            headline.append(
                _headline(name, "MAE", losses[model].mean(), base, losses[base].mean(), skill)
            )
            verdicts.append(verdict_words(name, f"the {base} baseline", skill))
            reg_rows.append(
                [name, base, f"{losses[model].mean():.5f}", f"{losses[base].mean():.5f}"]
                + [skill.text(3), "yes" if skill.low > 0 else "no"]
            )
    plot_forecast_vs_actual(reg, reg_models[:2], report_dir / "scratchoff_forecast_vs_actual.png")

    # Classification
    clf = scored["top_prize_claim_14d"]
    clf_models = ["top_prize_claim_14d_rf", "top_prize_claim_14d_xgb", "ensemble"]
    res_c = day_bootstrap_indices(clf["day"].to_numpy(), n_boot)
    y = clf["top_prize_claim_14d"].to_numpy()
    closs = {
        c: row_losses(clf, "top_prize_claim_14d", c) for c in clf_models + CLASSIFIER_BASELINES
    }
    clf_rows = []
    for model in clf_models:
        name = model if model != "ensemble" else "top_prize_claim_14d mean of rf and xgb"
        for base in CLASSIFIER_BASELINES:
            for metric in ("brier", "log_loss"):
                skill = skill_interval(closs[model][metric], closs[base][metric], res_c)
                label = "Brier" if metric == "brier" else "log-loss"
                headline.append(
                    _headline(
                        name,
                        label,
                        closs[model][metric].mean(),
                        base,
                        closs[base][metric].mean(),
                        skill,
                    )
                )
                if metric == "brier":
                    verdicts.append(
                        verdict_words(name, f"the {base} baseline (Brier skill)", skill)
                    )
                clf_rows.append(
                    [name, base, label, f"{closs[model][metric].mean():.4f}"]
                    + [f"{closs[base][metric].mean():.4f}", skill.text(3)]
                    + ["yes" if skill.low > 0 else "no"]
                )
    auc_rows = []
    for col in clf_models + CLASSIFIER_BASELINES:
        auc = auc_interval(y, clf[col].to_numpy(), res_c)
        auc_rows.append([col, auc.text(3) if auc else "n/a (one class)"])
    plot_calibration(
        clf, clf_models[:2] + CLASSIFIER_BASELINES, report_dir / "scratchoff_calibration.png"
    )
    plot_importance(last_models, report_dir / "scratchoff_feature_importance.png")

    # Markdown
    d0, d1 = int(features["day"].min()), int(features["day"].max())
    any_beats = any(h["beats_baseline"] for h in headline)
    md += [
        f"Data: {features['game_number'].nunique()} games, {len(features)} game-days, "
        f"{_iso(d0)} to {_iso(d1)}. Scored: the last {weeks} weeks of labelled days "
        f"({_iso(starts[0])} to {_iso(int(reg['day'].max()))}), {len(reg)} game-days; each week "
        f"scored by models refitted on rows up to 14 days before it (labels known by then). "
        f"Hyperparameters chosen by time-ordered grid search on rows labelled before the scored "
        f"period. 95% intervals: circular block bootstrap over scored days (blocks of "
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
    for col in clf_models[:2]:
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
    return ReportSection("Scratch-off forecasts", "\n".join(md), headline)


def write_report(report_dir: Path, sections: list[ReportSection], name: str = "report.md") -> Path:
    """One Markdown file of every section, in order."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    parts = ["# Scratch Oracle: model evaluation", ""]
    for s in sections:
        parts += [f"## {s.title}", "", s.markdown, ""]
    path = report_dir / name
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.5g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    return str(value)


def headline_lines(sections: list[ReportSection]) -> list[str]:
    """The headline rows of every section as an aligned text table."""
    keys = [
        "model",
        "metric",
        "model_value",
        "baseline",
        "baseline_value",
        "skill",
        "skill_ci95",
        "beats_baseline",
    ]
    header = ["model", "metric", "model", "baseline", "baseline", "skill", "95% CI", "beats"]
    rows = [header] + [[_cell(h.get(k)) for k in keys] for s in sections for h in s.headline]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def evaluate(
    report_dir: Path | str = "reports",
    progress: Progress = print_progress,
    *,
    source: str = "files",
    db_url: str | None = None,
) -> tuple[Path, list[ReportSection]]:
    """`python -m trainer evaluate`: the scratch-off and Powerball sections, as report.md."""
    from trainer.powerball_evaluate import evaluate_powerball

    started = time.perf_counter()
    section = scratchoff_section(Path(report_dir), progress=progress, source=source, db_url=db_url)
    powerball_markdown, powerball_headline = evaluate_powerball(Path(report_dir), progress)
    powerball = ReportSection(
        "Powerball",
        powerball_markdown.removeprefix("## Powerball").lstrip("\n"),
        powerball_headline,
    )
    sections = [section, powerball]
    path = write_report(Path(report_dir), sections)
    progress(f"[evaluate] wrote {path} ({time.perf_counter() - started:.1f}s)")
    return path, sections
