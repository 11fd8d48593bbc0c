"""Archived official payloads as files, for `python -m trainer ingest --scratchoff PATH ...`.

A path is one of:
- a canonical CSV (or the shipped normalized Texas export): its header names `snapshot_date`;
- a Texas `scratchoff.csv` (its first row is the "Scratch-Off Prizes as of" title);
- New York JSON documents: the prize-status rows and the game list of one day, paired by the
  YYYY-MM-DD in their file names (`ny_prize_status_2025-10-13.json`), which is their as-of date;
  likewise Michigan's two answers, and the one-document JSON feeds (IGT's instant-games answer,
  Florida's); IGT's layout is shared by NJ, SD and GA: the file name's leading state code
  (`nj_instant_games_2019-03-13.json`) says which;
- a .tar.gz of any of these (the shipped Texas archive holds 115 days);
any of them gzipped (.gz). Anything else is refused: "unknown feed layout ... known: TX, NY".
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trainer.data import DataError, read_bounded, read_stream
from trainer.scratchoff.feeds import (
    KNOWN,
    FeedDocument,
    FeedError,
    detect_state,
    parse_feed,
    states_like,
)
from trainer.scratchoff.feeds.common import CanonicalRow

DAY = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})")


@dataclass(frozen=True)
class Source:
    """One thing to load: its name and how to get its canonical text cells."""

    name: str
    cells: Callable[[], pd.DataFrame] | None  # None: a canonical file, read by its own loader
    path: Path | None = None


def rows_frame(rows: list[CanonicalRow], warnings: list[str] | None = None) -> pd.DataFrame:
    """Canonical rows as the text cells the contract's validation reads ('' for None); the
    adapter's warnings (the games it dropped) ride in attrs["warnings"] for the ingest to print."""
    records = [{k: "" if v is None else str(v) for k, v in row.as_dict().items()} for row in rows]
    frame = pd.DataFrame.from_records(records, columns=list(CanonicalRow.__dataclass_fields__))
    frame.attrs["warnings"] = list(warnings or [])
    return frame


def odds_derived(cells: pd.DataFrame) -> dict[tuple[str, str], bool]:
    """(state, game_number) -> whether its odds are derived, for the games whose rows carry odds
    (the store keeps a game's flag with its odds: games.odds_derived)."""
    given = cells[cells["overall_odds"] != ""]
    keys = zip(given["state"].str.upper(), given["game_number"], strict=True)
    return dict(zip(keys, given["odds_derived"] == "True", strict=True))


def _documents(path: Path) -> list[FeedDocument]:
    """The documents a path holds, each read (and gunzipped) under the input size limit
    (trainer.data.read_stream): a small archive that expands to gigabytes is refused."""
    try:
        if path.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(path, "r:gz") as tar:
                out = []
                for member in sorted(tar.getmembers(), key=lambda m: m.name):
                    handle = tar.extractfile(member)
                    if handle is not None:
                        name = f"{path.name}:{member.name}"
                        out.append(_document(name, read_stream(handle, name)))
                return out
        return [_document(str(path), read_bounded(path))]
    except DataError as exc:
        raise FeedError(exc.file, exc.row, exc.column, exc.message) from None
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise FeedError(str(path), None, None, f"not readable ({exc})") from None


def _document(name: str, data: bytes) -> FeedDocument:
    """A document named as archived, without its .gz (its bytes are already gunzipped)."""
    return FeedDocument(name.removesuffix(".gz"), data)


def _is_canonical(doc: FeedDocument) -> bool:
    head = doc.data[:1000].decode("utf-8", errors="replace").lstrip("\ufeff")
    return "snapshot_date" in head.splitlines()[0] if head.strip() else False


def sources(paths: list[Path], as_of: str | None = None) -> list[Source]:
    """What each path holds, in order (a JSON pair where its first document is); JSON documents
    are paired by day. FeedError when a file is of no known layout. `as_of` dates JSON documents
    whose names carry no day."""
    slots: list[Source | str] = []  # a str is the day of a pending JSON group
    pending: dict[str, list[FeedDocument]] = {}
    for path in paths:
        docs = _documents(path)
        if len(docs) == 1 and not docs[0].data.strip(b"\xef\xbb\xbf \r\n\t"):
            raise FeedError(str(path), 1, None, "empty file: no header and no rows")
        if len(docs) == 1 and _is_canonical(docs[0]):
            slots.append(Source(str(path), None, path))
            continue
        for doc in docs:
            if doc.data.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"[", b"{"):
                m = DAY.search(Path(doc.name).name)
                day = m[1] if m else as_of
                if day is None:
                    raise FeedError(doc.name, None, None, "no YYYY-MM-DD in its name: give --as-of")
                if day not in pending:
                    slots.append(day)
                pending.setdefault(day, []).append(doc)
            else:
                slots.append(_feed_source([doc], None))
    return [_feed_source(pending[s], s) if isinstance(s, str) else s for s in slots]


def _feed_source(docs: list[FeedDocument], day: str | None) -> Source:
    names = ", ".join(d.name for d in docs)
    prefix = re.match(r"([a-z]{2})_", Path(docs[0].name).name)
    named = prefix[1].upper() if prefix else None
    try:
        state = named if named in states_like(docs) else detect_state(docs)
    except FeedError:
        raise FeedError(
            names, None, None, f"unknown feed layout (not canonical either): known: {KNOWN}"
        ) from None

    def cells() -> pd.DataFrame:
        feed = parse_feed(state, docs, day)
        return rows_frame(feed.rows, feed.warnings)

    return Source(names, cells)
