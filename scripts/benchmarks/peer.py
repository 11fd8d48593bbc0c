"""The Python peer of `predict` (peer_server.py) under the same load as the function, in the same
run: the requests/s ratio at each concurrency level, measured on one machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from .common import BAR_PEER_RATIO, MB, ROOT, Bench, BenchError, active_games, log
from .predict import clients_label, load_levels
from .stack import free_port, port_open, proc_memory


def bench_peer(b: Bench) -> None:
    games = active_games(b.stack.db_url)
    bodies = [json.dumps({"state": s, "game_number": g}).encode() for _, s, g in games]
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
        results = load_levels(b, "Python peer", f"http://127.0.0.1:{port}/predict", bodies, {})
        peak_rss = proc_memory(proc.pid).get("VmHWM", 0)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    b.details["python_peer"] = {"by_concurrency": results, "peak_rss_bytes": peak_rss}
    ours = b.details.get("predict", {})
    for concurrency, s in results.items():
        b.row(
            f"Python peer (Starlette + uvicorn, psycopg pool, onnxruntime), "
            f"{clients_label(concurrency)}",
            f"p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms, {s['throughput_rps']:.0f} req/s",
            "",
            None,
            f"no gateway, no JWT; {s['errors']} errors in {s['requests']}; peak RSS"
            f" {peak_rss / MB:.0f} MiB",
        )
        for where, levels in (
            ("via gateway", ours.get("by_concurrency") or {}),
            ("straight to the function", ours.get("direct_to_function") or {}),
        ):
            if concurrency not in levels:
                continue
            ratio = levels[concurrency]["throughput_rps"] / s["throughput_rps"]
            b.row(
                f"predict {where} / Python peer, requests/s, {clients_label(concurrency)}",
                f"{ratio:.2f}x",
                f">= {BAR_PEER_RATIO:g}x" if where == "via gateway" and concurrency == 16 else "",
                ratio >= BAR_PEER_RATIO if where == "via gateway" and concurrency == 16 else None,
                f"{levels[concurrency]['throughput_rps']:.0f} vs {s['throughput_rps']:.0f} req/s",
            )
