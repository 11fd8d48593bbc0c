"""`python -m trainer evaluate`: every product's walk-forward evaluation, as one report."""

from __future__ import annotations

import time
from pathlib import Path

from trainer.modeling import Progress, print_progress
from trainer.powerball.evaluate import evaluate_powerball
from trainer.report import ReportSection, write_report
from trainer.scratchoff.evaluate import scratchoff_section


def evaluate(
    report_dir: Path | str = "reports",
    progress: Progress = print_progress,
    *,
    source: str = "files",
    db_url: str | None = None,
) -> tuple[Path, list[ReportSection]]:
    """`python -m trainer evaluate`: the scratch-off and Powerball sections, as report.md."""
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
