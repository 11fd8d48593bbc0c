"""The local stack's static web server for web/ (what any static host does for a deployed page).

Serves the files of web/ as they are, except /config.json, which comes from the stack's own state
folder (written by `scripts/stack up` with this stack's URL and anon key), so several stacks can
serve the same checkout and the committed web/config.json stays the deployer's template.
Usage: web_server.py PORT CONFIG_JSON
"""

from __future__ import annotations

import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"


class Handler(SimpleHTTPRequestHandler):
    config: Path

    def translate_path(self, path: str) -> str:
        if path.split("?", 1)[0] == "/config.json":
            return str(self.config)
        return super().translate_path(path)

    def end_headers(self) -> None:
        # a changed file or config shows on the next load
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def main() -> None:
    port, config = int(sys.argv[1]), Path(sys.argv[2])
    Handler.config = config
    Handler.extensions_map = {**Handler.extensions_map, ".js": "text/javascript"}
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(Handler, directory=str(WEB)))
    print(f"serving {WEB} on http://127.0.0.1:{port}/ (config.json: {config})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
