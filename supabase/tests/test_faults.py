"""Faults, each measured and printed:

(a) PostgreSQL stopped (pg_ctl -m fast) and restarted (scripts/stack up) under a running gateway,
    with clients sending requests all along: while it is down every answer that needs the
    database is a 503 JSON error (database_unavailable), none is a 500/502, health stays 200; once
    it is back, the same gateway and function processes answer 200 again (no restart).
(b) A model in model_registry whose bytes are corrupted: (1) bytes that are not ONNX stored with
    their own valid sha256 (the table's CHECK holds), (2) bytes that do not match the stored
    sha256 (the CHECK dropped for the test). The predict process, restarted to drop its cache,
    refuses the registry copy, logs it (gateway log), falls back to the bundled copy and answers
    200 with the same prediction as before. Everything is restored afterwards.
(c) `python -m trainer export --force --out <copy of onnx_models>` killed (SIGKILL) as soon as it
    starts writing: the manifest left behind and every file it names are usable (check_model of
    trainer/registry.py passes on each). The copy starts as a "previous" export whose files
    have other names than the new ones, so that an export that deleted or overwrote them before
    switching the manifest would be caught. The export trains first (about a minute), so it is
    started when this module starts and runs while (a) and (b) run.
(d) Ingest of a truncated file writes nothing: covered by trainer/tests/scratchoff/test_ingest.py
    (test_a_truncated_gzip_is_refused_and_nothing_is_written, test_a_file_cut_mid_row_is_refused);
    not duplicated here, only checked to be there.

These tests stop the database and alter model_registry of the stack they run against (the one
SUPABASE_URL names): run them on a stack of your own when others use the default one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg
import pytest
from openapi_doc import errors_of
from stack_data import ensure_loaded
from stack_process import (
    ROOT,
    LogTail,
    bearer,
    files_of,
    function_pid,
    pg_running,
    pg_stop,
    restart_function,
    stack_up,
    wait_healthy,
)

# ---- (c) the export, started first so that its training overlaps (a) and (b) -------------------


class InterruptedExport(threading.Thread):
    """Runs the export into `out` and SIGKILLs it the moment the directory changes."""

    def __init__(self, out: Path):
        super().__init__(daemon=True)
        self.out = out
        self.initial = self.snapshot()
        self.seen: list[str] = []
        self.started = time.monotonic()
        self.killed_after = None
        self.log = out.parent / "export.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "trainer", "export", "--force", "--out", str(out)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def snapshot(self) -> dict[str, tuple[int, int]]:
        out = {}
        for p in self.out.rglob("*"):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            out[str(p.relative_to(self.out))] = (st.st_mtime_ns, st.st_size)
        return out

    def run(self) -> None:
        while self.proc.poll() is None:
            now = self.snapshot()
            changed = sorted(k for k, v in now.items() if self.initial.get(k) != v)
            if changed:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.killed_after = time.monotonic() - self.started
                self.seen = changed
                break
            time.sleep(0.002)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def previous_export(src: Path, dst: Path) -> dict:
    """A copy of onnx_models whose model files carry other names than an export gives them."""
    shutil.copytree(src, dst)
    manifest = json.loads((dst / "manifest.json").read_text())
    for entry in manifest["models"].values():
        old = entry["file"]
        new = f"{entry['name']}.previous.onnx"
        (dst / old).rename(dst / new)
        entry["file"] = new
    manifest["data_fingerprint"] = "previous"
    (dst / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


@pytest.fixture(scope="module", autouse=True)
def export_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "onnx_models"
    previous_export(ROOT / "onnx_models", out)
    run = InterruptedExport(out)
    run.start()
    yield run
    run.stop()


@pytest.fixture(scope="module")
def ready(stack):
    ensure_loaded(stack.db_url)
    wait_healthy(stack)
    return stack


# ---- (a) the database stopped and restarted ------------------------------------------------------


class Clients(threading.Thread):
    """Predict requests in a loop from a few clients; tallies the answers by phase."""

    def __init__(self, stack, clients: int = 4):
        super().__init__(daemon=True)
        self.stack = stack
        self.clients = clients
        self.phase = "up"
        self.done = threading.Event()
        self.tally: Counter = Counter()
        self.bad: list[str] = []
        self.slowest: Counter = Counter()  # phase -> slowest answer, s
        self.lock = threading.Lock()

    def client(self, i: int) -> None:
        with httpx.Client(timeout=30) as c:
            n = 0
            while not self.done.is_set():
                n += 1
                phase = self.phase
                t0 = time.monotonic()
                try:
                    r = c.post(
                        self.stack.functions_url("predict"),
                        headers=bearer(self.stack.anon_key),
                        json={"game_id": 1 + (i * 31 + n) % 90},
                    )
                    status, payload = r.status_code, r.json()
                except (httpx.HTTPError, ValueError) as exc:
                    status, payload = "exception", repr(exc)
                with self.lock:
                    self.tally[(phase, status)] += 1
                    self.slowest[phase] = max(self.slowest[phase], time.monotonic() - t0)
                    ok = status in (200, 404) or (
                        status == 503
                        and errors_of("Error", payload) == []
                        and payload["error"]["code"] == "database_unavailable"
                    )
                    if not ok and len(self.bad) < 10:
                        self.bad.append(f"{phase}: {status} {str(payload)[:200]}")
                time.sleep(0.01)

    def run(self) -> None:
        threads = [threading.Thread(target=self.client, args=(i,)) for i in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def test_database_stopped_and_restarted_under_the_gateway(ready):
    stack = ready
    files = files_of(stack)
    gateway = files.gateway_pid()
    predict = function_pid(files, "predict")
    clients = Clients(stack)
    clients.start()
    try:
        time.sleep(1.0)
        t0 = time.monotonic()
        clients.phase = "stopping"
        pg_stop(files)
        stopped_in = time.monotonic() - t0
        clients.phase = "down"
        with httpx.Client(timeout=30) as c:
            down = {
                name: c.post(stack.functions_url(name), headers=bearer(key), json=body)
                for name, key, body in [
                    ("predict", stack.anon_key, {"state": "TX", "game_number": "2400"}),
                    ("predict", stack.anon_key, {"games": [{"game_id": 1}, {"game_id": 2}]}),
                    ("powerball", stack.anon_key, {"count": 1}),
                    ("daily-batch", stack.service_role_key, {"run_date": "2031-01-01"}),
                ]
            }
            health = c.get(stack.functions_url("health"), headers=bearer(stack.anon_key))
        time.sleep(2.0)
        clients.phase = "restarting"
        t1 = time.monotonic()
        stack_up(files)
        started_in = time.monotonic() - t1
        clients.phase = "recovering"
        recovered_in = None
        with httpx.Client(timeout=30) as c:
            while time.monotonic() - t1 < 30:
                r = c.post(
                    stack.functions_url("predict"),
                    headers=bearer(stack.anon_key),
                    json={"game_id": 1},
                )
                if r.status_code == 200:
                    recovered_in = time.monotonic() - t1
                    break
                time.sleep(0.05)
        clients.phase = "after"
        time.sleep(1.0)
    finally:
        clients.done.set()
        clients.join()
        if not pg_running(files):
            stack_up(files)
    # the pg_net stand-in's worker reconnects too: a request queued now is sent and recorded
    t2 = time.monotonic()
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        request_id = conn.execute(
            "select net.http_post(url := %s, timeout_milliseconds := 10000,"
            " headers := jsonb_build_object('Authorization', %s::text))",
            (stack.functions_url("health"), f"Bearer {stack.anon_key}"),
        ).fetchone()[0]
        pg_net = None
        while pg_net is None and time.monotonic() - t2 < 20:
            time.sleep(0.2)
            pg_net = conn.execute(
                "select status_code from net._http_response where id = %s", (request_id,)
            ).fetchone()
    pg_net_in = time.monotonic() - t2
    statuses = {k: (v.status_code, v.json()["error"]["code"]) for k, v in down.items()}
    print(
        f"\n[faults] database stopped in {stopped_in:.2f} s; while down: {statuses},"
        f" health {health.status_code}; restarted (scripts/stack up) in {started_in:.2f} s;"
        f" first 200 {recovered_in:.2f} s after the restart began; pg_net worker: request"
        f" recorded {pg_net} in {pg_net_in:.1f} s"
        f"\n[faults] clients by phase: {dict(sorted(clients.tally.items(), key=str))}"
        f"\n[faults] slowest answer by phase (s):"
        f" { {k: round(v, 2) for k, v in clients.slowest.items()} }"
    )
    for name, r in down.items():
        assert r.status_code == 503, (name, r.status_code, r.text)
        assert errors_of("Error", r.json()) == []
        assert r.json()["error"]["code"] == "database_unavailable"
    assert health.status_code == 200
    assert pg_net == (200,), "the pg_net worker did not recover"
    assert recovered_in is not None, "no 200 within 30 s of the restart"
    assert clients.bad == [], clients.bad
    # not a performance bar: a 503 must come promptly, not after the driver's reconnect backoff
    # (postgres.js's default grew to 20 s; see _shared/db.ts)
    assert clients.slowest["down"] < 5.0, clients.slowest
    assert clients.tally[("down", 503)] > 0 and clients.tally[("after", 200)] > 0
    assert files.gateway_pid() == gateway, "the gateway was restarted"
    assert function_pid(files, "predict") == predict, "the predict process was restarted"


# ---- (b) a corrupted model in the registry -------------------------------------------------------

TARGET = "ev_change_14d_rf"


def predict_one(stack) -> dict:
    r = httpx.post(
        stack.functions_url("predict"),
        headers=bearer(stack.anon_key),
        json={"state": "TX", "game_number": "2400", "date": "2026-07-21"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return r.json()["result"]


def test_a_corrupted_registry_model_is_refused_and_the_bundled_copy_is_used(ready):
    stack = ready
    files = files_of(stack)
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        row = conn.execute(
            "select id, version, sha256, onnx from public.model_registry"
            " where name = %s and is_active",
            (TARGET,),
        ).fetchone()
        assert row is not None, f"{TARGET} is not published"
        model_id, version, sha, onnx = row
        constraint = conn.execute(
            "select conname, pg_get_constraintdef(oid) from pg_constraint"
            " where conrelid = 'public.model_registry'::regclass and contype = 'c'"
            " and pg_get_constraintdef(oid) like '%%sha256(onnx)%%'"
        ).fetchone()
        assert constraint is not None
    restart_function(stack, "predict")
    baseline = predict_one(stack)
    flipped = bytearray(onnx)
    flipped[len(flipped) // 2] ^= 0xFF
    cases = [
        (
            "not ONNX, with its own valid sha256",
            "update public.model_registry set onnx = 'garbage'::bytea,"
            " sha256 = encode(sha256('garbage'::bytea), 'hex') where id = %s",
            (model_id,),
            "is not a valid ONNX model",
        ),
        (
            "one byte flipped, sha256 left as it was",
            "update public.model_registry set onnx = %s where id = %s",
            (bytes(flipped), model_id),
            f"sha256 {hashlib.sha256(bytes(flipped)).hexdigest()} != {sha}",
        ),
    ]
    figures = []
    try:
        for what, update, params, expected_log in cases:
            with psycopg.connect(stack.db_url, autocommit=True) as conn:
                conn.execute(  # each case starts from the original row
                    "update public.model_registry set onnx = %s, sha256 = %s where id = %s",
                    (onnx, sha, model_id),
                )
                if "flipped" in what:
                    conn.execute(
                        f"alter table public.model_registry drop constraint {constraint[0]}"
                    )
                conn.execute(update, params)
            log = LogTail(files.gateway_log)
            restart_function(stack, "predict")
            t0 = time.monotonic()
            result = predict_one(stack)
            elapsed = time.monotonic() - t0
            time.sleep(0.2)  # the log line is written by the function's stderr
            text = log.read()
            refusals = [line for line in text.splitlines() if "refused" in line]
            figures.append(f"{what}: 200 in {elapsed * 1000:.0f} ms; log: {refusals[:1]}")
            assert any(TARGET in x and "falling back to the bundled" in x for x in refusals)
            assert expected_log in text, text[-2000:]
            assert result["prediction"] == baseline["prediction"], "the bundled copy differs"
            assert result["model_version"] == baseline["model_version"]
    finally:
        with psycopg.connect(stack.db_url, autocommit=True) as conn:
            conn.execute(
                "update public.model_registry set onnx = %s, sha256 = %s where id = %s",
                (onnx, sha, model_id),
            )
            exists = conn.execute(
                "select 1 from pg_constraint where conrelid = 'public.model_registry'::regclass"
                " and conname = %s",
                (constraint[0],),
            ).fetchone()
            if exists is None:
                conn.execute(
                    f"alter table public.model_registry add constraint {constraint[0]}"
                    f" {constraint[1]}"
                )
        restart_function(stack, "predict")
    log = LogTail(files.gateway_log)
    restored = predict_one(stack)
    time.sleep(0.2)
    assert "refused" not in log.read()
    assert restored["prediction"] == baseline["prediction"]
    with psycopg.connect(stack.db_url) as conn:
        assert conn.execute(
            "select sha256, encode(sha256(onnx), 'hex') from public.model_registry where id = %s",
            (model_id,),
        ).fetchone() == (sha, sha)
    print(f"\n[faults] corrupted registry model {TARGET} {version}:")
    for f in figures:
        print(f"[faults]   {f}")
    print("[faults]   restored: registry copy loaded again without a refusal")


# ---- (c) the export, interrupted -----------------------------------------------------------------


def test_an_export_killed_while_writing_leaves_a_usable_manifest(export_run):
    from trainer.export import load_manifest
    from trainer.registry import check_model

    export_run.join(timeout=900)  # a full export; generous for a loaded machine
    stderr = export_run.log.read_text(errors="replace")
    assert not export_run.is_alive(), f"the export did not reach its writes: {stderr[-2000:]}"
    assert export_run.killed_after is not None, f"the export ended by itself: {stderr[-2000:]}"
    assert export_run.proc.returncode == -signal.SIGKILL
    out = export_run.out
    manifest = load_manifest(out)
    which = "previous" if manifest["data_fingerprint"] == "previous" else "new"
    for entry in manifest["models"].values():
        check_model(entry, (out / entry["file"]).read_bytes())
        assert (out / entry["golden"]).is_file()
    print(
        f"\n[faults] export killed {export_run.killed_after:.1f} s after it started, when it had"
        f" written: {export_run.seen}; the manifest left is the {which} one, its"
        f" {len(manifest['models'])} models all pass check_model"
    )


# ---- (d) ingest of a truncated file --------------------------------------------------------------


def test_truncated_ingest_is_covered_by_the_trainer_tests():
    text = (ROOT / "trainer" / "tests" / "scratchoff" / "test_ingest.py").read_text()
    assert "def test_a_truncated_gzip_is_refused_and_nothing_is_written" in text
    assert "def test_a_file_cut_mid_row_is_refused" in text
