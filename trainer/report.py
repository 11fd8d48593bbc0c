"""The evaluation report: sections of Markdown with their headline rows, written as one file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ReportSection:
    """One section of the report: Markdown (figures already written next to it) and its headline
    rows (dicts with section, model, metric, model_value, baseline, baseline_value, skill,
    skill_ci95, beats_baseline)."""

    title: str
    markdown: str
    headline: list[dict[str, Any]] = field(default_factory=list)


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
