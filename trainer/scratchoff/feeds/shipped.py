"""The shipped official payloads (trainer/data/feeds/, see its README): the 115 Texas days and
the New York snapshot, as the FeedDocuments a fetch of each feed would give."""

from __future__ import annotations

import gzip
import re
import tarfile
from pathlib import Path

from trainer.scratchoff.feeds.common import FeedDocument

FEEDS_DIR = Path(__file__).resolve().parents[2] / "data" / "feeds"
TX_ARCHIVE = FEEDS_DIR / "tx_scratchoff_csv_2026-03-29_to_2026-07-21.tar.gz"
NY_DAY = "2025-10-13"
NY_FILES = [
    FEEDS_DIR / f"ny_prize_status_{NY_DAY}.json.gz",
    FEEDS_DIR / f"ny_game_list_{NY_DAY}.json.gz",
]


def texas_days() -> dict[str, FeedDocument]:
    """Day (YYYY-MM-DD) -> that day's scratchoff.csv, in date order."""
    out: dict[str, FeedDocument] = {}
    with tarfile.open(TX_ARCHIVE, "r:gz") as tar:
        for member in tar.getmembers():
            m = re.fullmatch(r"scratchoff_([0-9]{4}-[0-9]{2}-[0-9]{2})\.csv", member.name)
            handle = tar.extractfile(member)
            if m and handle is not None:
                out[m[1]] = FeedDocument(member.name, handle.read())
    return dict(sorted(out.items()))


def new_york() -> list[FeedDocument]:
    """The New York pair (prize-status rows, game list) of NY_DAY."""
    return [
        FeedDocument(p.name.removesuffix(".gz"), gzip.decompress(p.read_bytes())) for p in NY_FILES
    ]
