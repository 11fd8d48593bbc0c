"""Closed-loop HTTP load: N clients, one thread each, latencies and error kinds."""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .common import log, log_tail, ms, percentile

# ---- HTTP load ----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    concurrency: int
    requests: int
    latencies_s: list[float]  # successful requests only
    errors: dict[str, int]
    elapsed_s: float

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_s or [math.nan]
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "ok": len(self.latencies_s),
            "errors": self.error_count,
            "error_kinds": self.errors,
            "elapsed_s": round(self.elapsed_s, 3),
            "throughput_rps": round(self.requests / self.elapsed_s, 1),
            "p50_ms": ms(percentile(lat, 50)),
            "p90_ms": ms(percentile(lat, 90)),
            "p99_ms": ms(percentile(lat, 99)),
            "max_ms": ms(max(lat)),
            "mean_ms": ms(sum(lat) / len(lat)),
        }


def error_kind(response: httpx.Response | None, exc: Exception | None) -> str:
    if exc is not None:
        return type(exc).__name__
    assert response is not None
    code = ""
    with contextlib.suppress(Exception):
        code = response.json()["error"]["code"]
    return f"HTTP {response.status_code} {code}".strip()


def run_load(
    clients: list[httpx.Client],
    url: str,
    bodies: list[bytes],
    requests: int,
    label: str,
    expect: bytes = b'"result"',
) -> LoadResult:
    """`requests` POSTs spread over one thread per client, each waiting for its answer before
    sending the next (closed loop); the body rotates over `bodies`."""
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    step = max(1, requests // 4)
    start = threading.Barrier(len(clients) + 1)

    def worker(client: httpx.Client) -> None:
        mine: list[float] = []
        failed: list[str] = []
        start.wait()
        while (i := next(counter)) < requests:
            body = bodies[i % len(bodies)]
            t0 = time.perf_counter()
            response, exc = None, None
            try:
                response = client.post(url, content=body)
                ok = response.status_code == 200 and expect in response.content
            except httpx.HTTPError as e:
                exc, ok = e, False
            elapsed = time.perf_counter() - t0
            if ok:
                mine.append(elapsed)
            else:
                failed.append(error_kind(response, exc))
            if i and i % step == 0:
                log(f"  {label}: {i}/{requests}")
        with lock:
            latencies.extend(mine)
            for kind in failed:
                errors[kind] = errors.get(kind, 0) + 1

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return LoadResult(len(clients), requests, latencies, errors, time.perf_counter() - t0)


GATEWAY_LINE = re.compile(r"^POST /functions/v1/predict (\d{3}) ([\d.]+)ms$")


def gateway_latencies(log_path: Path, offset: int) -> list[float]:
    """The gateway's own per-request times (seconds) of predict 200s logged after `offset`."""
    out = []
    for line in log_tail(log_path, offset).splitlines():
        m = GATEWAY_LINE.match(line.strip())
        if m and m.group(1) == "200":
            out.append(float(m.group(2)) / 1000)
    return out
