"""`python -m trainer export --force`, timed."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from .common import BAR_EXPORT_S, ROOT, Bench, BenchError, log


def bench_export(b: Bench) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-export-") as out:
        log(f"export: python -m trainer export --force --out {out}")
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "trainer", "export", "--force", "--out", out],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise BenchError(f"export failed ({proc.returncode}): {proc.stderr[-500:]}")
    b.details["export_s"] = round(elapsed, 1)
    b.row(
        "python -m trainer export --force, all models",
        f"{elapsed:.0f} s",
        f"<= {BAR_EXPORT_S / 60:g} min on 2 cores",
        elapsed <= BAR_EXPORT_S,
        f"{os.cpu_count()} CPUs here",
    )
