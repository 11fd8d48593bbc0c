"""scripts/bench: parse the options, run the sections, print the table, write the JSON."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import httpx

from .batch import bench_batch
from .cold import bench_cold
from .common import ROOT, SECTIONS, Bench, BenchError, log, render
from .export import bench_export
from .feeds import bench_feeds
from .ingest import bench_ingest
from .model_files import bench_onnx
from .native import bench_native
from .predict import bench_predict
from .scale import bench_scale
from .stack import find_stack

# ---- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Measure DESIGN.md's bars for the edge functions on the running local stack.",
    )
    p.add_argument("--duration", type=int, default=10, help="seconds of wrk load a run (10)")
    p.add_argument(
        "--concurrency",
        type=lambda s: sorted({int(x) for x in s.split(",")}),
        default=[1, 16, 64],
        help="comma-separated wrk connection counts (1,16,64)",
    )
    p.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before a run (2)")
    p.add_argument("--cold-runs", type=int, default=5, help="cold starts of each kind (5)")
    p.add_argument("--run-date", default=None, help="daily-batch run_date (latest snapshot day)")
    p.add_argument(
        "--games",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[5000, 20000],
        help="active games of each scale run, comma-separated (5000,20000): the Texas games"
        " replicated over as many states (past 50, made-up codes)",
    )
    p.add_argument(
        "--part-games",
        type=int,
        default=None,
        help="games per part of the day at scale (default: the migration's daily_steps.part_games)",
    )
    p.add_argument(
        "--batch-workers", type=int, default=2, help="daily-batch processes at once at scale (2)"
    )
    p.add_argument("--days", type=int, default=15, help="snapshot days replicated (15)")
    p.add_argument("--native-runs", type=int, default=1000, help="Python single-game runs (1000)")
    p.add_argument(
        "--skip",
        type=lambda s: [x for x in s.split(",") if x],
        default=[],
        help=f"sections to skip, comma-separated: {','.join(SECTIONS[:-1])}",
    )
    p.add_argument("--with-export", action="store_true", help="also time trainer export --force")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="every section at tiny sizes, to show that each still runs (the test command runs"
        " it); exits non-zero when a section errors, never on a figure",
    )
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        help="default: .stack/<api port>/bench.json (--smoke: bench-smoke.json)",
    )
    args = p.parse_args(argv)
    if args.smoke:
        args = smoke(args)
    unknown = set(args.skip) - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections {sorted(unknown)}; known: {SECTIONS}")
    if min(args.duration, args.days, args.cold_runs, args.native_runs) < 1 or args.warmup < 0:
        p.error("counts must be positive")
    if min(args.games) < 1 or args.batch_workers < 1 or (args.part_games or 1) < 1:
        p.error("counts must be positive")
    return args


def smoke(args: argparse.Namespace) -> argparse.Namespace:
    """Tiny sizes for every section (export stays opt-in, --with-export: it retrains)."""
    return argparse.Namespace(
        **{
            **vars(args),
            "duration": 1,
            "warmup": 0,
            "concurrency": [1, 4],
            "cold_runs": 1,
            "games": [300],
            "part_games": 100,  # several parts even so
            "days": 3,
            "native_runs": 20,
        }
    )


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every `finally` (processes, scratch database) runs."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def deno_version() -> str:
    with contextlib.suppress(Exception):
        out = subprocess.run(["deno", "--version"], capture_output=True, text=True).stdout
        return out.splitlines()[0]
    return "unknown"


def wrk_version() -> str:
    """wrk's first line ("wrk 4.1.0 [epoll] ..."), the load generator of the predict section."""
    with contextlib.suppress(Exception):
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)  # exits 1
        return out.stdout.splitlines()[0].split(" Copyright")[0]
    return "wrk: not found"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    stack = find_stack()
    b = Bench(args, stack)
    sections = [s for s in SECTIONS if s not in args.skip and (s != "export" or args.with_export)]
    started = time.perf_counter()
    meta = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "stack": stack.url,
        "engine": stack.engine,
        "db": stack.db_url.split("@")[-1],
        "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "deno": deno_version(),
        "python": sys.version.split()[0],
        "client": wrk_version(),
        "sections": sections,
        "smoke": args.smoke,
    }
    log(f"stack {stack.url} (gateway pid {stack.gateway_pid}); {os.cpu_count()} CPUs")
    if meta["load_average_start"][0] > 0.5 * (os.cpu_count() or 1):
        log(f"note: load average {meta['load_average_start'][0]:.1f}: numbers may be noisy")
    runners = {
        "predict": bench_predict,
        "cold": bench_cold,
        "batch": bench_batch,
        "scale": bench_scale,
        "ingest": bench_ingest,
        "feeds": bench_feeds,
        "onnx": bench_onnx,
        "native": bench_native,
        "export": bench_export,
    }
    with terminate_as_interrupt():
        for name in sections:
            log(f"== {name}")
            try:
                runners[name](b)
            except Exception as exc:  # noqa: BLE001 (any error fails the section, not the bench)
                message = f"{name}: {type(exc).__name__}: {exc}"
                log(f"error: {message}")
                if not isinstance(exc, BenchError | httpx.HTTPError | ConnectionError | OSError):
                    traceback.print_exc()
                b.errors.append(message)
                b.row(f"{name} (section failed)", "error", "", False, str(exc)[:200])
    meta["load_average_end"] = os.getloadavg()
    meta["seconds"] = round(time.perf_counter() - started, 1)

    table = render(b.rows)
    print()
    print(
        f"Scratch Oracle bench, {meta['started_at']}, {stack.url}, {meta['cpus']} CPUs,"
        f" load average {meta['load_average_start'][0]:.1f} -> {meta['load_average_end'][0]:.1f},"
        f" engine {stack.engine},"
        f" {meta['deno']}, {meta['seconds']:.0f}s"
    )
    print(table)
    path = args.json or stack.state_dir / ("bench-smoke.json" if args.smoke else "bench.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "meta": meta,
        "rows": [
            {
                "what": r.what,
                "measured": r.measured,
                "bar": r.bar,
                "result": r.result,
                "notes": r.notes,
            }
            for r in b.rows
        ],
        "details": b.details,
        "errors": b.errors,
    }
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nJSON: {path}")
    return 1 if b.errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
