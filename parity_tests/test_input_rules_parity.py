"""The door's rules, Python reference vs the edge functions' TypeScript twin (issue 13).

Every hostile case of the trainer's door tests, and the whole shipped data, goes through both
`trainer` (read_csv_text + validate_*) and `_shared/input_rules.ts` (ONE Deno process,
parity_tests/input_rules_runner.ts), with the same clock: a refused file must be refused at the
same row and column with the same message; an accepted file must give the same rows, each with
the same line in the file. So do feed payloads through the adapter and the door (`python -m
trainer ingest` of an archived payload vs the `ingest` function): shipped Texas days, the New York
pair, and the loopback feed server's hostile Texas payloads.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from parity_tests.ort_web import REPO, run_deno_json
from trainer.data import DataError, read_csv_text
from trainer.ingest import FEED_ROWS
from trainer.powerball.load import POWERBALL_FILE, validate_powerball
from trainer.scratchoff.feeds import FeedDocument, parse_feed
from trainer.scratchoff.feeds.files import rows_frame
from trainer.scratchoff.load import TEXAS_FILE, texas_to_canonical, validate_scratchoff
from trainer.tests.hostile import (
    BAD_DRAWS,
    DRAWS,
    DRAWS_HEADER,
    SCRATCHOFF_CELLS,
    broken,
    scratch_rows,
)

sys.path.insert(0, str(REPO / "scripts"))
from local.feed_server import (  # noqa: E402 (scripts/ is no package)
    FEEDS_DIR,
    HOSTILE,
    NY_DAY,
    NY_FILES,
    TX_ARCHIVE,
    hostile,
    load_texas,
)

RUNNER = REPO / "parity_tests" / "input_rules_runner.ts"
NOW = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


def scratchoff_cases() -> dict[str, str]:
    """Case name -> CSV text."""
    good = scratch_rows(4)
    cases = {"valid": good.to_csv(index=False)}
    for name, index, column, text, _ in SCRATCHOFF_CELLS:
        cases[name] = broken(good, index, column, text).to_csv(index=False)
    rise = good.copy()
    rise.loc[18, "prizes_remaining"] = str(int(good.prizes_remaining[12]) + 1)
    twice = good.copy()
    twice.loc[1, "prize_amount"], twice.loc[2, "prize_amount"] = "1000.001", "1000.004"
    cases |= {
        "remaining rises in the file": rise.to_csv(index=False),
        "sub-cent prizes": twice.to_csv(index=False),
        "two prices one day": broken(good, 1, "ticket_price", "6").to_csv(index=False),
        "blank odds then odds": broken(good, 7, "overall_odds", "4.2").to_csv(index=False),
        "future": good.assign(snapshot_date="2026-12-02").to_csv(index=False),
        "tomorrow": good.head(6).assign(snapshot_date="2026-12-01").to_csv(index=False),
        "bad date": broken(good, 5, "snapshot_date", "2026-02-30").to_csv(index=False),
        "duplicate": pd.concat([good, good.iloc[[3]]]).to_csv(index=False),
        "cut row": good.to_csv(index=False).rsplit(",", 3)[0] + "\n",
        "remaining > printed": broken(good, 2, "prizes_remaining", "5").to_csv(index=False),
        "odd numbers": broken(good, 3, "prize_amount", "1.5e2").to_csv(index=False),
        "sub-cent by exponent": broken(good, 3, "prize_amount", "5e-3").to_csv(index=False),
        "whole by exponent": broken(good, 2, "prizes_printed", "4e3").to_csv(index=False),
        "fraction count": broken(good, 2, "prizes_printed", "4.5").to_csv(index=False),
        "hex": broken(good, 2, "prizes_printed", "0x10").to_csv(index=False),
        "spaces": broken(good, 2, "game_name", "  Game 1001 ").to_csv(index=False),
        "header only": ",".join(good.columns) + "\n",
        "repeated header": good.to_csv(index=False).replace("game_number", "game_name", 1),
    }
    return cases


def powerball_cases() -> dict[str, str]:
    def text(rows: list[str]) -> str:
        return "\n".join([DRAWS_HEADER, *rows]) + "\n"

    cases = {"valid": text(DRAWS), "valid, monday": text(["2021-08-23,1,2,3,4,5,6,2"])}
    for name, row, _ in BAD_DRAWS:
        cases[name] = text([*DRAWS, row])
    cases |= {
        "repeated white": text(["2015-10-10,12,27,27,43,68,1,2"]),
        "white 70": text(["2015-10-10,12,27,29,43,70,1,2"]),
        "powerball 0": text(["2015-10-10,12,27,29,43,68,0,2"]),
        "before the matrix": text(["2015-10-03,1,2,3,4,5,6,2"]),
        "duplicate date": text([*DRAWS, "2015-10-10,1,2,3,4,5,6,2"]),
        "blank power play": text(["2015-10-10,12,27,29,43,68,1,"]),
        "tomorrow, wednesday": text(["2026-12-02,1,2,3,4,5,6,2"]),
        "no power play column": "\n".join(r.rsplit(",", 1)[0] for r in [DRAWS_HEADER, *DRAWS]),
    }
    return cases


def feed_cases() -> dict[str, tuple[str, str | None, list[FeedDocument]]]:
    """Case name -> (state, as_of, documents) of a payload its adapter reads."""
    texas = load_texas(FEEDS_DIR / TX_ARCHIVE)
    days = list(texas)
    doc = lambda data: [FeedDocument("scratchoff.csv", data)]  # noqa: E731
    cases = {f"TX {d}": ("TX", None, doc(texas[d])) for d in (days[0], days[-1])}
    cases |= {f"TX {fault}": ("TX", None, doc(hostile(texas[days[1]], fault))) for fault in HOSTILE}
    ny = [
        FeedDocument(name, gzip.decompress((FEEDS_DIR / file).read_bytes()))
        for name, file in NY_FILES.items()
    ]
    cases |= {"NY": ("NY", NY_DAY, ny), "NY tomorrow": ("NY", "2026-12-01", ny),
              "NY future": ("NY", "2026-12-02", ny)}  # fmt: skip
    return cases


def python_feed(file: str, state: str, as_of: str | None, docs: list[FeedDocument]) -> dict:
    try:
        frame = validate_scratchoff(rows_frame(parse_feed(state, docs, as_of).rows), file, NOW)
    except DataError as exc:
        return {"error": {"row": exc.row, "column": exc.column, "message": exc.message}}
    return {"rows": frame, "lines": frame.attrs["lines"]}


def feed_request(file: str, state: str, as_of: str | None, docs: list[FeedDocument]) -> dict:
    documents = [{"name": d.name, "base64": base64.b64encode(d.data).decode()} for d in docs]
    return {"kind": "feed", "file": file, "state": state, "as_of": as_of, "documents": documents}


def python_side(kind: str, path: Path) -> dict:
    try:
        raw = read_csv_text(path)
        if kind == "scratchoff":
            if "state" not in raw.columns:
                raw = texas_to_canonical(raw)
            frame = validate_scratchoff(raw, str(path), NOW)
        else:
            frame = validate_powerball(raw, str(path), NOW)
    except DataError as exc:
        return {"error": {"row": exc.row, "column": exc.column, "message": exc.message}}
    return {"rows": frame, "lines": frame.attrs["lines"]}


def typescript_request(kind: str, path: Path, text: str) -> dict:
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], [r for r in rows[1:] if r]
    if kind == "scratchoff" and "state" not in header:  # the shipped Texas layout
        canonical = texas_to_canonical(pd.DataFrame(body, columns=header))
        header, body = list(canonical.columns), canonical.to_numpy().tolist()
    return {"kind": kind, "file": str(path), "header": header, "rows": body}


def same_rows(kind: str, frame: pd.DataFrame, lines: list[int], ts_rows: list[dict]) -> None:
    assert [r["line"] for r in ts_rows] == lines
    if kind == "scratchoff":
        ts = pd.DataFrame(ts_rows).drop(columns="line")
        ts["snapshot_date"] = pd.to_datetime(ts["snapshot_date"])
        ts = ts.astype({c: "float64" for c in ("ticket_price", "overall_odds", "prize_amount")})
        ts = ts.astype({"total_tickets_printed": "float64"})
        expected = frame.astype({"state": object, "game_number": object, "game_name": object})
        pd.testing.assert_frame_equal(ts, expected, check_dtype=False)
    else:
        for row, (_, draw) in zip(ts_rows, frame.iterrows(), strict=True):
            assert row["draw_date"] == f"{draw.draw_date:%Y-%m-%d}"
            assert row["whites"] == [int(draw[f"white_{k}"]) for k in range(1, 6)]
            assert row["powerball"] == int(draw.powerball)
            pp = None if pd.isna(draw.power_play) else int(draw.power_play)
            assert row["power_play"] == pp


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> list[tuple[str, str, dict, dict]]:
    folder = tmp_path_factory.mktemp("rules")
    jobs = []
    for kind, cases in (("scratchoff", scratchoff_cases()), ("powerball", powerball_cases())):
        for name, text in cases.items():
            path = folder / f"{kind}-{len(jobs)}.csv"
            path.write_text(text, encoding="utf-8")
            jobs.append((kind, name, path, text))
    for kind, shipped in (("scratchoff", TEXAS_FILE), ("powerball", POWERBALL_FILE)):
        jobs.append((kind, "shipped", shipped, gzip.decompress(shipped.read_bytes()).decode()))
    feeds = {name: (f"{name}{FEED_ROWS}", *case) for name, case in feed_cases().items()}
    request = {
        "now": NOW.isoformat(),
        "cases": [typescript_request(kind, path, text) for kind, _, path, text in jobs]
        + [feed_request(*case) for case in feeds.values()],
    }
    results = run_deno_json(RUNNER, json.dumps(request))["results"]
    files = [
        (kind, name, python_side(kind, path), ts)
        for (kind, name, path, _), ts in zip(jobs, results[: len(jobs)], strict=True)
    ]
    return files + [
        ("scratchoff", f"feed {name}", python_feed(*case), ts)
        for (name, case), ts in zip(feeds.items(), results[len(jobs) :], strict=True)
    ]


def test_every_case_gets_the_same_verdict_in_both_languages(outcomes):
    mismatches = []
    for kind, name, py, ts in outcomes:
        if "error" in py or "error" in ts:
            if py.get("error") != ts.get("error"):
                mismatches.append(
                    f"{kind} {name!r}: python {py.get('error')}, ts {ts.get('error')}"
                )
            continue
        try:
            same_rows(kind, py["rows"], py["lines"], ts["rows"])
        except AssertionError as exc:
            mismatches.append(f"{kind} {name!r}: rows differ: {str(exc)[:300]}")
    assert not mismatches, "\n".join(mismatches)


def test_the_cases_cover_refusals_and_acceptances(outcomes):
    refused = [name for _, name, py, _ in outcomes if "error" in py]
    accepted = [name for _, name, py, _ in outcomes if "error" not in py]
    assert len(refused) >= 35 and "shipped" in accepted and "tomorrow" in accepted, accepted
    # Through a feed: the door refuses the hostile payloads the adapter reads.
    assert {f"feed TX {f}" for f in ("future", "control", "subcent")} | {"feed NY future"} <= set(
        refused
    ), refused
    assert {"feed TX repriced", "feed NY", "feed NY tomorrow"} <= set(accepted), accepted
