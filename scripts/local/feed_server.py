"""LOCAL STAND-IN for the states' feed servers: serves the shipped official payloads
(trainer/data/feeds) as of a chosen day, over HTTP on loopback, for the local stack, the tests,
the demo and the bench.

    python scripts/local/feed_server.py [--port N] [--day YYYY-MM-DD]

Paths (the first segment is the state the URL is for, so one payload can stand in for many states,
as the bench's 50 replicated states do; the last is the official URL's last path segment, which is
how scripts/stack points every feed_sources request here; a query string is ignored):
    GET /<ST>/tx/scratchoff.csv       Texas's export, the latest shipped day on or before the day
    GET /<ST>/tx/all.html             Texas's game listing: the games of that day's export
    GET /<ST>/tx/details.html_<id>.html   a game's page (tickets printed, overall odds)
    GET /<ST>/ny/nzqa-7unk.json       New York's open-data prize status rows } one snapshot
    GET /<ST>/ny/scratch_off_data     New York's game list                  } (2025-10-13)
        (also as prize_status.json and game_list.json)
    GET /<ST>/ma/games                Massachusetts's game list           } its documented layout
    GET /<ST>/ma/instant-game-prizes?gameID=<id>   a game's prizes      } (invented values)
    GET /<ST>/nj/games                New Jersey's real IGT answer (2019-03-13); SD the same:
    GET /<ST>/sd/games                  the layout is IGT's
    GET /<ST>/ga/games                Georgia's variant (New Jersey's values in it)
    POST /<ST>/mi/graphql             Michigan's two GraphQL answers (the real element, the
                                      documented-layout games), told apart by the query the
                                      body names (400 for any other)
    GET /<ST>/fl/getscratchinfo       Florida's documented-layout answer; 403 without the header
                                      `x-partner: web`, as the state's API gateway answers
Each answer carries Last-Modified (the payload's day), as the states' servers do.

Control (what a test or the demo changes between runs; loopback only, like the rest):
    GET  /_control   -> {"day": ..., "faults": {...}, "days": [the shipped Texas days]}
    POST /_control   {"day": "YYYY-MM-DD" | null (latest), "faults": {"<ST>": FAULT}}
FAULT is one of: "timeout" (answers after 30 s), "500", "html" (200 with an HTML error page),
"truncated" (the payload cut in the middle of a row, Content-Length consistent), "invalid" (the
payload with one prize count changed so that a game fails its checksum / validation), or one of
the hostile Texas payloads the adapter reads but the door refuses or records (issue 13): "future"
(dated 12/31/2099), "control" (an escape character in the first game's name), "subcent" (its
first prize level 150.001), "rising" (its first level's claims set to 0, the TOTAL row kept
consistent: remaining rises from the day before), "repriced" (its ticket price + 5); or "odd"
(issue 19: one game the adapter cannot value, the others intact: Texas's first prize level
"A CAR", New York's first prize label "A NEW CAR", the IGT answer's first active game's first
tierType 5, Florida's first prize "A NEW CAR").
The port: --port, else $STACK_FEED_PORT, else $STACK_API_PORT + 7 (54328 for the default stack).
"""

from __future__ import annotations

import argparse
import csv
import email.utils
import gzip
import io
import json
import os
import re
import sys
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from trainer.scratchoff.feeds.shipped import (  # noqa: E402
    export_games,
    massachusetts_files,
    texas_listing,
    texas_pages,
)

FEEDS_DIR = ROOT / "trainer" / "data" / "feeds"
TX_ARCHIVE = "tx_scratchoff_csv_2026-03-29_to_2026-07-21.tar.gz"
NY_DAY = "2025-10-13"
NY_FILES = {
    "prize_status.json": f"ny_prize_status_{NY_DAY}.json.gz",
    "game_list.json": f"ny_game_list_{NY_DAY}.json.gz",
}
# The last path segments of New York's official URLs (feed_sources), as the stack rewrites them.
NY_ALIASES = {"nzqa-7unk.json": "prize_status.json", "scratch_off_data": "game_list.json"}
HOSTILE = {"future", "control", "subcent", "rising", "repriced"}
FAULTS = {"timeout", "500", "html", "truncated", "invalid", "odd"} | HOSTILE
IGT_DAY = "2019-03-13"
MI_DAY = "2019-12-04"
FL_DAY = "2026-09-01"  # a documented-layout fixture: any day dates it
# The JSON documents of the other states, keyed by the route the stack rewrites their official
# URLs to (one route may answer several POST queries): (route, file in FEEDS_DIR, its day, the
# query a POST body must name, or None for a GET, the header the request must carry, or None).
OTHERS: dict[str, tuple[str, str, str, str | None, tuple[str, str] | None]] = {
    "nj": ("nj/games", f"nj_instant_games_{IGT_DAY}.json.gz", IGT_DAY, None, None),
    "sd": ("sd/games", f"nj_instant_games_{IGT_DAY}.json.gz", IGT_DAY, None, None),
    "ga": (
        "ga/games",
        f"ga_instant_games_documented_layout_nj_values_{IGT_DAY}.json.gz",
        IGT_DAY,
        None,
        None,
    ),
    "mi prizes": (
        "mi/graphql",
        f"mi_prizes_remaining_game316_{MI_DAY}.json",
        MI_DAY,
        "getRetailTopPrizesRemainingByGameType",
        None,
    ),
    "mi games": (
        "mi/graphql",
        "mi_get_cms_games_documented_layout.json",
        MI_DAY,
        "getCMSGames",
        None,
    ),
    "fl": (
        "fl/getscratchinfo",
        "fl_getscratchinfo_documented_layout.json",
        FL_DAY,
        None,
        ("x-partner", "web"),
    ),
}
OTHER_ROUTES = {route for route, *_ in OTHERS.values()}
TIMEOUT_S = 30
HTML_ERROR = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
    b"<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your"
    b" request. Please try again later.</p></body></html>\n"
)


def default_port() -> int:
    if "STACK_FEED_PORT" in os.environ:
        return int(os.environ["STACK_FEED_PORT"])
    return int(os.environ.get("STACK_API_PORT", "54321")) + 7


def load_texas(path: Path) -> dict[str, bytes]:
    """Every shipped Texas day: {YYYY-MM-DD: the export's bytes}."""
    days: dict[str, bytes] = {}
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            match = re.search(r"scratchoff_(\d{4}-\d{2}-\d{2})\.csv$", member.name)
            if match and member.isfile():
                days[match.group(1)] = tar.extractfile(member).read()
    return dict(sorted(days.items()))


def truncate(payload: bytes) -> bytes:
    """The payload cut in the middle of a row, about two thirds of the way in."""
    cut = len(payload) * 2 // 3
    line_start = payload.rfind(b"\n", 0, cut) + 1
    return payload[: line_start + max(3, (cut - line_start) // 2)]


def corrupt(payload: bytes) -> bytes:
    """One count changed: Texas's first prize level claims one more prize than its TOTAL row says
    (the checksum fails); New York's first row has more unpaid than printed prizes."""
    if payload.lstrip().startswith((b"[", b"{")):
        rows = json.loads(payload)
        if isinstance(rows, list) and rows:
            rows[0]["unpaid"] = str(int(rows[0]["total"]) + 1)
            return json.dumps(rows).encode()
        return payload
    lines = payload.split(b"\r\n")
    fields = lines[2].split(b",")
    fields[-1] = str(int(fields[-1]) + 1).encode()
    lines[2] = b",".join(fields)
    return b"\r\n".join(lines)


def other_document(feeds_dir: Path, key: str) -> bytes:
    """A document of OTHERS as served (Michigan's real element wrapped as its query answers)."""
    path = feeds_dir / OTHERS[key][1]
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    if key == "mi prizes":
        answer = {"data": {"getRetailTopPrizesRemainingByGameType": [json.loads(data)]}}
        return json.dumps(answer).encode()
    return data


def odd(payload: bytes) -> bytes:
    """One game its adapter cannot value (the "odd" fault); the other games are untouched."""
    if not payload.lstrip().startswith((b"[", b"{")):
        lines = payload.decode("latin-1").split("\r\n")
        row = next(csv.reader([lines[2]]))
        row[4] = "A CAR"
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(row)
        lines[2] = out.getvalue()
        return "\r\n".join(lines).encode("latin-1")
    value = json.loads(payload)
    if isinstance(value, list) and value and "OddsTiers" in value[0]:
        value[0]["OddsTiers"][0]["PrizeAmount"] = "A NEW CAR"
    elif isinstance(value, list) and value:
        value[0]["prize_amount"] = "A NEW CAR"
    elif isinstance(value, dict) and "games" in value:
        live = next(g for g in value["games"] if g["validationStatus"] == "ACTIVE")
        live["prizeTiers"][0]["tierType"] = 5
    return json.dumps(value).encode()


def hostile(payload: bytes, fault: str) -> bytes:
    """A Texas export changed as the HOSTILE fault says; only the first game's lines (and the
    title) are rewritten, the rest stays byte for byte."""
    lines = payload.decode("latin-1").split("\r\n")
    if fault == "future":
        lines[0] = '"Scratch-Off Prizes as of 12/31/2099"'
        return "\r\n".join(lines).encode("latin-1")
    first = next(csv.reader([lines[2]]))
    game = [i for i in range(2, len(lines)) if lines[i].split(",", 1)[0] == first[0]]
    rows = {i: next(csv.reader([lines[i]])) for i in game}
    total = next(i for i in game if rows[i][4].strip().upper() == "TOTAL")
    for i in game:
        if fault == "control":
            rows[i][1] = rows[i][1].replace(" ", " \x1b[5m", 1)
        elif fault == "repriced":
            rows[i][3] = str(int(rows[i][3]) + 5)
    if fault == "subcent":
        rows[2][4] = "150.001"
    elif fault == "rising":
        rows[total][6] = str(int(rows[total][6]) - int(rows[2][6]))
        rows[2][6] = "0"
    for i in game:
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(rows[i])
        lines[i] = out.getvalue()
    return "\r\n".join(lines).encode("latin-1")


class FeedState:
    """What the server serves now; changed through /_control."""

    def __init__(
        self,
        texas: dict[str, bytes],
        ny: dict[str, bytes],
        day: str | None,
        pages: dict[str, bytes] | None = None,
        others: dict[str, bytes] | None = None,
    ) -> None:
        self.texas = texas
        self.ny = ny
        self.pages = pages or {}
        self.others = others or {}
        self.lock = threading.Lock()
        self.day = day
        self.faults: dict[str, str] = {}

    def texas_day(self) -> str | None:
        with self.lock:
            day = self.day
        shipped = [d for d in self.texas if day is None or d <= day]
        return shipped[-1] if shipped else None

    def texas_document(self, day: str, name: str) -> tuple[bytes, str] | None:
        """(bytes, content type) of a Texas document of `day`, or None."""
        if name == "scratchoff.csv":
            return self.texas[day], "text/csv; charset=ISO-8859-1"
        if name == "all.html":
            listing = texas_listing(self.pages["all.html"], export_games(self.texas[day]))
            return listing, "text/html; charset=UTF-8"
        if name.startswith("details.html_") and name in self.pages:
            return self.pages[name], "text/html; charset=UTF-8"
        return None

    def control(self, body: dict) -> None:
        with self.lock:
            if "day" in body:
                day = body["day"]
                if day is not None:
                    date.fromisoformat(day)  # ValueError for a bad date
                self.day = day
            if "faults" in body:
                faults = {str(k).upper(): str(v) for k, v in (body["faults"] or {}).items()}
                unknown = set(faults.values()) - FAULTS
                if unknown:
                    raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {sorted(FAULTS)}")
                self.faults = faults

    def snapshot(self) -> dict:
        with self.lock:
            return {"day": self.day, "faults": dict(self.faults), "days": list(self.texas)}


def massachusetts_document(name: str, path: str) -> tuple[str, bytes] | None:
    """(day, bytes) of a Massachusetts document: the game list, or a game's prizes (?gameID=)."""
    fixture = massachusetts_files()
    if name == "games":
        return fixture["day"], json.dumps(fixture["games"]).encode()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    game = (query.get("gameID") or [""])[0]
    if name == "instant-game-prizes" and game in fixture["prizes"]:
        return fixture["day"], json.dumps(fixture["prizes"][game]).encode()
    return None


def http_date(day: str) -> str:
    moment = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    return email.utils.format_datetime(moment, usegmt=True)


def make_handler(state: FeedState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args) -> None:  # quiet: one line per request to stderr
            print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", flush=True)

        def send(self, status: int, body: bytes, content_type: str, day: str | None = None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if day is not None:
                self.send_header("Last-Modified", http_date(day))
            self.end_headers()
            self.wfile.write(body)

        def send_json(self, status: int, body: object) -> None:
            self.send(status, json.dumps(body).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path == "/_control":
                self.send_json(200, state.snapshot())
                return
            path = self.path.split("?", 1)[0]
            match = re.fullmatch(r"/([A-Za-z]{2})/((?:tx|ny|ma)/[A-Za-z0-9_.-]+)", path)
            if match is None and path.count("/") == 3 and path[4:] in OTHER_ROUTES:
                self.answer_other(path[1:3].upper(), path[4:], None)
                return
            if match is None:
                self.send_json(404, {"error": f"no feed at {self.path}"})
                return
            st, doc = match.group(1).upper(), match.group(2)
            if doc.startswith("tx/"):
                day = state.texas_day()
                if day is None:
                    self.send_json(404, {"error": "no Texas day on or before the chosen day"})
                    return
                found = state.texas_document(day, doc.removeprefix("tx/"))
                if found is None:
                    self.send_json(404, {"error": f"no Texas document {doc}"})
                    return
                payload, content_type = found
            elif doc.startswith("ma/"):
                found = massachusetts_document(doc.removeprefix("ma/"), self.path)
                if found is None:
                    self.send_json(404, {"error": f"no Massachusetts document {self.path}"})
                    return
                day, payload = found
                content_type = "application/json"
            else:
                name = NY_ALIASES.get(doc.removeprefix("ny/"), doc.removeprefix("ny/"))
                if name not in state.ny:
                    self.send_json(404, {"error": f"no New York document {name}"})
                    return
                day, payload, content_type = NY_DAY, state.ny[name], "application/json"
            self.serve_payload(st, payload, content_type, day, doc)

        def answer_other(self, st: str, route: str, body: bytes | None) -> None:
            """A document of OTHERS: its method, the query its POST body names and its header
            checked."""
            keys = [k for k, (r, *_rest) in OTHERS.items() if r == route]
            queries = [OTHERS[k][3] for k in keys]
            if (queries[0] is None) != (body is None):
                wanted = "GET" if queries[0] is None else "POST"
                self.send_json(405, {"error": f"{route} takes {wanted}"})
                return
            key = keys[0]
            if body is not None:
                named = [k for k, q in zip(keys, queries, strict=True) if q and q.encode() in body]
                if not named:
                    wanted = " or ".join(q for q in queries if q)
                    self.send_json(400, {"errors": [{"message": f"the body must query {wanted}"}]})
                    return
                key = named[0]
            _route, _file, day, _query, header = OTHERS[key]
            if header is not None and self.headers.get(header[0]) != header[1]:
                self.send_json(403, {"error": f"missing header {header[0]}: {header[1]}"})
                return
            self.serve_payload(st, state.others[key], "application/json", day, route)

        def serve_payload(
            self, st: str, payload: bytes, content_type: str, day: str, doc: str
        ) -> None:
            """The payload, or what the state's fault (if any) makes of it."""
            fault = state.snapshot()["faults"].get(st)
            if fault in ("truncated", "invalid") and doc.endswith(".html"):
                fault = None  # a page is served whole: these faults bend the data documents
            if fault == "timeout":
                time.sleep(TIMEOUT_S)
            elif fault == "500":
                self.send_json(500, {"error": "internal server error"})
                return
            elif fault == "html":
                self.send(200, HTML_ERROR, "text/html; charset=utf-8")
                return
            elif fault == "truncated":
                payload = truncate(payload)
            elif fault == "invalid":
                payload = corrupt(payload)
            elif fault == "odd":
                payload = odd(payload)
            elif fault in HOSTILE and doc == "tx/scratchoff.csv":
                payload = hostile(payload, fault)
            self.send(200, payload, content_type, day)

        def do_POST(self) -> None:  # noqa: N802
            # The body is read first, always: left unread it would be taken for the next request
            # on the kept-alive connection.
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            if path.count("/") == 3 and path[4:] in OTHER_ROUTES:
                self.answer_other(path[1:3].upper(), path[4:], body)
                return
            if self.path != "/_control":
                self.send_json(405, {"error": "only /_control and Michigan's answers take POST"})
                return
            try:
                state.control(json.loads(body or b"{}"))
            except (ValueError, TypeError, AttributeError) as exc:
                self.send_json(422, {"error": str(exc)})
                return
            self.send_json(200, state.snapshot())

    return Handler


def serve(port: int, day: str | None, feeds_dir: Path = FEEDS_DIR) -> ThreadingHTTPServer:
    texas = load_texas(feeds_dir / TX_ARCHIVE)
    ny = {name: gzip.decompress((feeds_dir / f).read_bytes()) for name, f in NY_FILES.items()}
    others = {key: other_document(feeds_dir, key) for key in OTHERS}
    feed = FeedState(texas, ny, day, texas_pages(), others)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(feed))
    server.daemon_threads = True
    return server


def control(feed_url: str, **changes) -> dict:
    """The client side of POST /_control (tests and the demo): day= and/or faults=; no change
    given: just reads the state (GET)."""
    data = json.dumps(changes).encode() if changes else None
    request = urllib.request.Request(
        f"{feed_url}/_control", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=default_port())
    parser.add_argument("--day", default=None, help="serve as of this day (default: the latest)")
    args = parser.parse_args()
    server = serve(args.port, args.day)
    print(f"feed server (local stand-in) on http://127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
