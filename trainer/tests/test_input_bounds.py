"""The shape of an input file (issue 13): empty and header-only files, duplicated header columns
and compressed files that expand past the documented limit are refused with the file named, before
anything is parsed or written; memory stays flat however large the expansion. Needs the local
stack for the nothing-written checks."""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from trainer.data import DataError
from trainer.powerball.load import load_powerball
from trainer.scratchoff.load import load_scratchoff
from trainer.tests.hostile import (
    DRAWS,
    DRAWS_HEADER,
    ingest,
    scratch_rows,
    table_state,
)

LOADERS = {"scratchoff": load_scratchoff, "powerball": load_powerball}


def header_line(kind: str) -> str:
    return ",".join(scratch_rows(1).columns) if kind == "scratchoff" else DRAWS_HEADER


def refused_by_ingest(url: str, kind: str, path: Path) -> DataError:
    before = table_state(url)
    with pytest.raises(DataError) as info:
        ingest(url, **{kind: [path]})
    assert table_state(url) == before
    assert info.value.file == str(path)
    return info.value


@pytest.mark.parametrize("kind", LOADERS)
def test_an_empty_file_is_refused_naming_the_file(empty_db, tmp_path, kind):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    error = refused_by_ingest(empty_db, kind, path)
    assert "empty" in error.message
    assert "empty.csv" in str(error)


@pytest.mark.parametrize("kind", LOADERS)
def test_a_header_only_file_is_refused(empty_db, tmp_path, kind):
    path = tmp_path / "header.csv"
    path.write_text(header_line(kind) + "\n")
    error = refused_by_ingest(empty_db, kind, path)
    assert error.row == 2
    assert "no data rows" in error.message


@pytest.mark.parametrize("kind", LOADERS)
def test_a_duplicated_header_column_is_refused(empty_db, tmp_path, kind):
    if kind == "scratchoff":
        frame = scratch_rows(1)
        text = frame.to_csv(index=False).splitlines()
        lines = [text[0] + ",prizes_remaining"] + [line + ",0" for line in text[1:]]
        column, position = "prizes_remaining", 11
    else:
        lines = [DRAWS_HEADER + ",powerball"] + [row + ",1" for row in DRAWS]
        column, position = "powerball", 9
    path = tmp_path / "dupes.csv"
    path.write_text("\n".join(lines) + "\n")
    error = refused_by_ingest(empty_db, kind, path)
    assert (error.row, error.column) == (1, column)
    assert f"column {position}" in error.message


def test_a_gzip_that_expands_past_the_limit_is_refused(tmp_path, monkeypatch):
    import trainer.data

    monkeypatch.setattr(trainer.data, "MAX_INPUT_BYTES", 1 << 20)
    path = tmp_path / "bomb.csv.gz"
    frame = scratch_rows(1)
    body = frame.to_csv(index=False)
    with gzip.open(path, "wt") as out:
        out.write(body)
        for _ in range(5_000):  # ~2 MB of valid-looking rows
            out.write(body.split("\n", 1)[1])
    with pytest.raises(DataError) as info:
        load_scratchoff(path)
    assert info.value.file == str(path)
    assert "1 MiB" in info.value.message


def test_memory_stays_flat_on_a_gzip_that_expands_to_1_gib(tmp_path):
    # 1 GiB of one repeated row, as 128 gzip members of 8 MiB each (a valid gzip file, about
    # 1 MB): loading it must stop at the limit with a clear error, far below the gigabytes a full
    # decompression would take.
    path = tmp_path / "bomb.csv.gz"
    row = b"2015-10-07,18,30,40,48,52,9,3\n"
    member = gzip.compress(row * ((8 << 20) // len(row)), compresslevel=9)
    path.write_bytes(gzip.compress(DRAWS_HEADER.encode() + b"\n") + member * 128)
    probe = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
        from trainer.data import DataError
        from trainer.powerball.load import load_powerball
        try:
            load_powerball({str(path)!r})
        except DataError as exc:
            print("refused:", exc)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
        print("peak MiB:", peak)
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout and "limit" in done.stdout, done.stdout
    peak = int(done.stdout.rsplit("peak MiB:", 1)[1])
    assert peak < 700, peak
