"""LOCAL STAND-IN for pg_net's background worker (see extensions/pg_net--0.10.0.sql).

Sends the requests queued by net.http_post / net.http_get once their transaction has committed
(the pg_notify that wakes this worker is delivered only at commit) and records each response, or
the error / time-out, in net._http_response, as pg_net does. A poll every second picks up anything
queued while the worker was down.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

import psycopg

DB_URL = os.environ.get(
    "SUPABASE_DB_URL", "postgresql://postgres:postgres@127.0.0.1:54322/postgres"
)


def send(method: str, url: str, headers: dict, body: bytes | None, timeout_ms: int) -> dict:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_ms / 1000) as response:
            return _response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:  # a 4xx/5xx is a response, not an error, for pg_net
        return _response(exc.code, exc.headers, exc.read())
    except TimeoutError:
        return {"timed_out": True, "error_msg": f"Timeout of {timeout_ms} ms reached"}
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            return {"timed_out": True, "error_msg": f"Timeout of {timeout_ms} ms reached"}
        return {"timed_out": False, "error_msg": str(reason)}


def _response(status: int, headers, content: bytes) -> dict:
    return {
        "status_code": status,
        "content_type": headers.get("content-type"),
        "headers": json.dumps(dict(headers.items())),
        "content": content.decode("utf-8", errors="replace"),
        "timed_out": False,
    }


def drain(conn: psycopg.Connection) -> int:
    """Send and record every queued request; returns how many."""
    done = 0
    while True:
        with conn.transaction():
            row = conn.execute(
                "delete from net.http_request_queue where id = (select id from"
                " net.http_request_queue order by id limit 1 for update skip locked)"
                " returning id, method, url, headers, body, timeout_milliseconds"
            ).fetchone()
        if row is None:
            return done
        request_id, method, url, headers, body, timeout_ms = row
        result = send(method, url, headers or {}, body, timeout_ms)
        conn.execute(
            "insert into net._http_response (id, status_code, content_type, headers, content,"
            " timed_out, error_msg) values (%s, %s, %s, %s, %s, %s, %s)",
            (
                request_id,
                result.get("status_code"),
                result.get("content_type"),
                result.get("headers"),
                result.get("content"),
                result.get("timed_out"),
                result.get("error_msg"),
            ),
        )
        print(f"request {request_id}: {method} {url} -> {result.get('status_code')}", flush=True)
        done += 1


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        try:
            with psycopg.connect(DB_URL, autocommit=True) as conn:
                conn.execute("listen pg_net_standin")
                while True:
                    drain(conn)
                    for _ in conn.notifies(timeout=1.0):
                        break
        except psycopg.Error as exc:  # database restarting, or pg_net not created yet: retry
            print(f"database not ready ({exc}); retrying", flush=True)
            time.sleep(1)


if __name__ == "__main__":
    raise SystemExit(main())
