"""`python -m trainer <command>`: a thin layer over the modules; each command imports its own."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

Command = Callable[[argparse.Namespace], int]


def _ingest(args: argparse.Namespace) -> int:
    from trainer.ingest import ingest_files

    ingest_files(scratchoff=args.scratchoff, powerball=args.powerball, db_url=args.db_url)
    return 0


def _powerball_evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from trainer.powerball_evaluate import evaluate_powerball

    out = Path(args.out)
    section, headline = evaluate_powerball(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "powerball.md").write_text("# Powerball evaluation\n\n" + section, encoding="utf-8")
    print(f"wrote {out / 'powerball.md'}")
    for row in headline:
        ci = row["skill_ci95"]
        ci_text = f"[{ci[0]}, {ci[1]}]" if ci else ""
        print(
            f"{row['model']:<24} {row['metric']:<34} {row['model_value']!s:>9} "
            f"vs {row['baseline_value']!s:<9} skill {row['skill']!s:>9} {ci_text}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer",
        description="Scratch Oracle trainer: ingest, train, evaluate, export and publish models.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="load scratch-off tiers and Powerball draws into PostgreSQL")
    p.add_argument(
        "--scratchoff",
        nargs="*",
        default=None,
        help="scratch-off files (canonical or a state export); default: the shipped Texas file",
    )
    p.add_argument(
        "--powerball", nargs="*", default=None, help="draw files; default: the shipped draws"
    )
    p.add_argument("--db-url", default=None, help="default: $SUPABASE_DB_URL or the local stack")
    p.set_defaults(run=_ingest)

    p = sub.add_parser(
        "powerball-evaluate",
        help="walk-forward evaluation of the Powerball models against uniform; writes a report",
    )
    p.add_argument("--out", default="reports", help="report folder (default: reports)")
    p.set_defaults(run=_powerball_evaluate)

    return parser


def main(argv: list[str] | None = None) -> int:
    from trainer.data import DataError

    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        code = args.run(args)
    except (DataError, ConnectionError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"[{args.command}] done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return code
