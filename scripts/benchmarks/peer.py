"""The Python peer of `predict` (peer_server.py), served for the predict section, which puts it
under the same wrk load as the function, level by level, in the same run."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

from .common import ROOT, Bench, BenchError, log
from .stack import free_port, port_open


@contextlib.contextmanager
def peer_server(b: Bench) -> Iterator[tuple[str, int]]:
    """The peer in its own uvicorn process on a free port: (its predict URL, its pid); stopped on
    exit."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "benchmarks.peer_server:app",
        "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    env = {
        **os.environ,
        "PEER_DB_URL": b.stack.db_url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "scripts"), str(ROOT)]),
    }
    log_path = b.stack.state_dir / "bench-peer.log"
    log(f"peer: {' '.join(command[2:5])} on port {port}")
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while not port_open(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the Python peer did not start (see {log_path})")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/predict", proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
