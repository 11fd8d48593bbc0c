"""`python -m trainer scorecard`: what the scheduled scorecard wrote (model_performance and its
30-day view), as text and a plot. Reads only; the figures are computed inside Supabase by the
`scorecard` function (trainer/scratchoff/scorecard.py is its reference)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from trainer.db import connect  # noqa: E402

DAY_COLUMNS = [
    "model_version",
    "evaluation_date",
    "test_set_size",
    "mean_absolute_error",
    "mae_persistence",
    "mae_trend",
    "brier",
    "brier_base_rate",
    "brier_game_rate",
    "spearman_ai_score",
    "spearman_ev_per_dollar",
    "notes",
]


def read(db_url: str | None, model_version: str | None) -> tuple[list[dict], list[dict]]:
    """(the 30-day view's rows, the daily rows of those days), optionally for one version."""
    with connect(db_url) as conn:
        cur = conn.execute(
            "select * from public.model_performance_30d"
            " where %(v)s::text is null or model_version = %(v)s order by scored_through desc",
            {"v": model_version},
        )
        names = [c.name for c in cur.description]
        pooled = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        days = []
        for p in pooled:
            cur = conn.execute(
                f"select {', '.join(DAY_COLUMNS)} from public.model_performance"
                " where model_version = %s and evaluation_date between %s and %s"
                " order by evaluation_date",
                (p["model_version"], p["first_day"], p["scored_through"]),
            )
            days += [dict(zip(DAY_COLUMNS, r, strict=True)) for r in cur.fetchall()]
    return pooled, days


def _num(x: Any, digits: int = 5) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def lines(pooled: list[dict], days: list[dict]) -> list[str]:
    if not pooled:
        return [
            "no scored predictions yet: no served prediction's 14-day horizon has closed with"
            " an outcome snapshot (the scorecard function runs daily after the batch)"
        ]
    out = []
    for p in pooled:
        version = p["model_version"]
        out += [
            f"model {version}: {p['days']} days served {p['first_day']} to "
            f"{p['scored_through']} (the latest scored day, not today), {p['predictions']} "
            "predictions scored 14 days later",
            f"  EV change, MAE: forecast {_num(p['mean_absolute_error'])}, no change "
            f"{_num(p['mae_persistence'])}, trend {_num(p['mae_trend'])}; skill "
            f"{_num(p['skill_persistence'], 3)} / {_num(p['skill_trend'], 3)}",
            f"  top-prize claim, Brier: forecast {_num(p['brier'], 4)}, base rate "
            f"{_num(p['brier_base_rate'], 4)}, game's own rate {_num(p['brier_game_rate'], 4)};"
            f" skill {_num(p['brier_skill_base_rate'], 3)} / {_num(p['brier_skill_game_rate'], 3)}",
            f"  ranking vs realized change (mean daily Spearman): ai_score "
            f"{_num(p['mean_daily_spearman_ai_score'], 3)}, today's EV per dollar alone "
            f"{_num(p['mean_daily_spearman_ev_per_dollar'], 3)}",
            "  classes: "
            + "; ".join(
                f"{label} n={c['n']} mean change {c['mean_realized_change']:+.5f}"
                + ("" if c["hit_rate"] is None else f" hit rate {c['hit_rate']:.2f}")
                for label, c in sorted((p["classes"] or {}).items())
            ),
            f"  verdict: {p['verdict']}",
            "",
            f"  {'day':<10} {'n':>4} {'MAE':>8} {'no chg':>8} {'trend':>8} {'Brier':>6}"
            f" {'base':>6} {'game':>6} {'rho ai':>7} {'rho EV':>7}",
        ]
        for d in (d for d in days if d["model_version"] == version):
            out.append(
                f"  {d['evaluation_date']!s:<10} {d['test_set_size']:>4}"
                f" {_num(d['mean_absolute_error']):>8} {_num(d['mae_persistence']):>8}"
                f" {_num(d['mae_trend']):>8} {_num(d['brier'], 3):>6}"
                f" {_num(d['brier_base_rate'], 3):>6} {_num(d['brier_game_rate'], 3):>6}"
                f" {_num(d['spearman_ai_score'], 3):>7} {_num(d['spearman_ev_per_dollar'], 3):>7}"
            )
        out.append("")
    return out


def plot(days: list[dict], path: Path) -> None:
    """Per version: daily MAE vs the baselines, Brier vs the baselines, Spearman ai vs EV/$."""
    versions = sorted({d["model_version"] for d in days})
    fig, axes = plt.subplots(len(versions), 3, figsize=(15, 3.8 * len(versions)), squeeze=False)
    panels = [
        ("EV change MAE", ["mean_absolute_error", "mae_persistence", "mae_trend"]),
        ("top-prize claim Brier", ["brier", "brier_base_rate", "brier_game_rate"]),
        ("Spearman vs realized change", ["spearman_ai_score", "spearman_ev_per_dollar"]),
    ]
    for row, version in zip(axes, versions, strict=True):
        mine = [d for d in days if d["model_version"] == version]
        x = [d["evaluation_date"] for d in mine]
        for ax, (title, columns) in zip(row, panels, strict=True):
            for column in columns:
                ax.plot(x, [d[column] for d in mine], marker=".", label=column)
            ax.set_title(f"{title} ({version})", fontsize=9)
            ax.tick_params(axis="x", labelrotation=45, labelsize=7)
            ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def scorecard(
    db_url: str | None = None, out: Path = Path("reports"), model_version: str | None = None
) -> tuple[list[str], Path | None]:
    """The text lines and the plot's path (None when nothing is scored yet)."""
    pooled, days = read(db_url, model_version)
    path = None
    if days:
        path = Path(out) / "scorecard.png"
        plot(days, path)
    return lines(pooled, days), path
