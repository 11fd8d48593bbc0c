"""`python -m trainer <command>`: a thin layer over the modules; each command imports its own."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _ingest(args: argparse.Namespace) -> int:
    from trainer.ingest import ingest_archive, ingest_files

    if args.archive:
        if not (args.state and args.day_from and args.day_to):
            raise ValueError("--archive needs --state, --from and --to")
        _counts, refused = ingest_archive(args.state, args.day_from, args.day_to, args.db_url)
        return 1 if refused else 0

    ingest_files(
        scratchoff=args.scratchoff, powerball=args.powerball, db_url=args.db_url, as_of=args.as_of
    )
    return 0


def _train(args: argparse.Namespace) -> int:
    from trainer.scratchoff.forecast import train_models

    models = train_models(source=args.source, db_url=args.db_url)
    print(f"{'model':<26} {'CV metric':<10} {'CV score':>10}  hyperparameters")
    for m in models:
        grid = {k: v for k, v in m.hyperparameters.items() if k not in ("random_state", "n_jobs")}
        print(f"{m.name:<26} {m.metrics['cv_metric']:<10} {m.metrics['cv_score']:>10.5f}  {grid}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from trainer.evaluate import evaluate
    from trainer.report import headline_lines

    path, sections = evaluate(args.out, source=args.source, db_url=args.db_url)
    print(f"wrote {path}")
    print("\n".join(headline_lines(sections)))
    return 0


def _export(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from trainer.export import MODELS_DIR, export

    rows = export(
        models_dir=args.out or MODELS_DIR, force=args.force, source=args.source, db_url=args.db_url
    )
    if rows:
        table = Table(title="exported models")
        for column in ("model", "size", "sha256", "metric", "parity delta", "seconds"):
            table.add_column(column)
        for r in rows:
            table.add_row(
                r.name,
                f"{r.size / 1024:.0f} KiB",
                r.sha256[:12],
                r.metric,
                f"{r.parity_delta:.2e}",
                f"{r.seconds:.1f}",
            )
        Console(width=120).print(table)
    return 0


def _publish(args: argparse.Namespace) -> int:
    from trainer.registry import publish

    publish(db_url=args.db_url, force=args.force, source=args.source)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from trainer.registry import rollback

    rollback(args.model, db_url=args.db_url)
    return 0


def _scorecard(args: argparse.Namespace) -> int:
    from trainer.scratchoff.scorecard_report import scorecard

    text, plot = scorecard(args.db_url, Path(args.out), args.model_version)
    print("\n".join(text))
    if plot is not None:
        print(f"plot: {plot}")
    return 0


def _models(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from trainer.registry import list_versions

    table = Table(title="model_registry")
    for column in ("name", "version", "sha256", "size", "created", "active"):
        table.add_column(column)
    for v in list_versions(db_url=args.db_url):
        table.add_row(
            v.name,
            v.version,
            v.sha256[:12],
            f"{v.size / 1024:.0f} KiB",
            v.created_at,
            "yes" if v.is_active else "",
        )
    Console(width=120).print(table)
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
        help="scratch-off files: canonical CSVs, or archived official feed payloads (a Texas"
        " scratchoff.csv, a New York prize-status + game-list pair named by day, a .tar.gz of"
        " them; .gz allowed); default: the shipped Texas file",
    )
    p.add_argument(
        "--as-of",
        default=None,
        help="YYYY-MM-DD of New York documents whose file names carry no date",
    )
    p.add_argument(
        "--powerball", nargs="*", default=None, help="draw files; default: the shipped draws"
    )
    p.add_argument(
        "--archive",
        action="store_true",
        help="re-read the feeds the ingest function archived (feed_payloads) for --state, dated"
        " --from..--to, with the state's adapter as it is now",
    )
    p.add_argument("--state", default=None, help="with --archive: the state code, e.g. TX")
    p.add_argument("--from", dest="day_from", default=None, help="with --archive: YYYY-MM-DD")
    p.add_argument("--to", dest="day_to", default=None, help="with --archive: YYYY-MM-DD")
    p.add_argument("--db-url", default=None, help="default: $SUPABASE_DB_URL or the local stack")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("train", help="grid-search and fit the four scratch-off forecast models")
    p.add_argument("--source", choices=["files", "db"], default="files", help="default: files")
    p.add_argument("--db-url", default=None, help="with --source db; default: $SUPABASE_DB_URL")
    p.set_defaults(run=_train)

    p = sub.add_parser(
        "evaluate",
        help="walk-forward evaluation of every model against its baselines; writes a report",
    )
    p.add_argument("--source", choices=["files", "db"], default="files", help="default: files")
    p.add_argument("--db-url", default=None, help="with --source db; default: $SUPABASE_DB_URL")
    p.add_argument("--out", default="reports", help="report folder (default: reports)")
    p.set_defaults(run=_evaluate)

    p = sub.add_parser("export", help="train (or reuse) every model and write onnx_models/")
    p.add_argument("--force", action="store_true", help="retrain even if the data is unchanged")
    p.add_argument("--out", type=Path, default=None, help="default: onnx_models/")
    p.add_argument(
        "--source",
        choices=["files", "db"],
        default="files",
        help="the scratch-off history to learn from (default: files; Powerball: its files)",
    )
    p.add_argument("--db-url", default=None, help="with --source db; default: $SUPABASE_DB_URL")
    p.set_defaults(run=_export)

    p = sub.add_parser(
        "publish",
        help="evaluate the exported set against the baselines and the active set, then store it"
        " in model_registry, active",
    )
    p.add_argument("--db-url", default=None, help="default: $SUPABASE_DB_URL or the local stack")
    p.add_argument(
        "--force", action="store_true", help="publish even if the set does not beat the baselines"
    )
    p.add_argument(
        "--source",
        choices=["db", "files"],
        default="db",
        help="the history the gate evaluates on (default: db)",
    )
    p.set_defaults(run=_publish)

    p = sub.add_parser("rollback", help="reactivate a model's previous version")
    p.add_argument("--model", required=True, help="model name, e.g. ev_change_14d_xgb")
    p.add_argument("--db-url", default=None, help="default: $SUPABASE_DB_URL or the local stack")
    p.set_defaults(run=_rollback)

    p = sub.add_parser(
        "scorecard",
        help="how the served forecasts did (model_performance, last 30 scored days), with a plot",
    )
    p.add_argument("--db-url", default=None, help="default: $SUPABASE_DB_URL or the local stack")
    p.add_argument("--model-version", default=None, help="one model version (default: all)")
    p.add_argument("--out", default="reports", help="plot folder (default: reports)")
    p.set_defaults(run=_scorecard)

    p = sub.add_parser("models", help="list the versions in model_registry")
    p.add_argument("--db-url", default=None, help="default: $SUPABASE_DB_URL or the local stack")
    p.set_defaults(run=_models)

    return parser


def main(argv: list[str] | None = None) -> int:
    from trainer.data import DataError

    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        code = args.run(args)
    except (DataError, ConnectionError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"[{args.command}] done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return code
