"""A small Chrome DevTools Protocol client for the browser test: Debian's headless Chromium, one
page, driven over its DevTools websocket (the `websockets` package). Just what the test needs:
navigate, evaluate JavaScript, real mouse clicks and key presses, request interception
(Fetch domain) and full-page screenshots. Console errors and uncaught exceptions are collected.
No browser is downloaded: /usr/bin/chromium comes from apt (scripts/setup)."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",
]


class CdpError(RuntimeError):
    pass


class Browser:
    """Headless Chromium with a fresh profile, and its first page."""

    def __init__(self, timeout: float = 60.0, width: int = 1200, height: int = 900) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port = self._devtools_port()
            self.ws = connect(self._page_ws(port), max_size=64 * 2**20, open_timeout=timeout)
        except BaseException:
            self.close()
            raise
        self._ids = itertools.count(1)
        self.events: list[dict] = []
        self.handlers: dict[str, Any] = {}
        for domain in ("Page", "Runtime"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def _devtools_port(self) -> int:
        """Chromium writes its DevTools port to DevToolsActivePort in the profile."""
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CdpError(f"chromium exited with {self.process.returncode}")
            text = marker.read_text() if marker.exists() else ""
            if text.strip():
                return int(text.splitlines()[0])
            time.sleep(0.05)
        raise CdpError(f"chromium did not open its DevTools port in {self.timeout} s")

    def _page_ws(self, port: int) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                pages = [t for t in json.load(r) if t["type"] == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.05)
        raise CdpError("chromium has no page")

    # ---- protocol ------------------------------------------------------------------------------

    def send(self, method: str, **params: Any) -> dict:
        """One command; waits for its answer, keeping (and handling) the events that come first."""
        message_id = next(self._ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.0, deadline - time.monotonic())))
            if message.get("id") == message_id:
                if "error" in message:
                    raise CdpError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def _event(self, message: dict) -> None:
        self.events.append(message)
        handler = self.handlers.get(message.get("method", ""))
        if handler is not None:
            handler(message["params"])

    def wait_event(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv(timeout=max(0.0, deadline - time.monotonic())))
            self._event(message)
            if message.get("method") == method:
                return message["params"]
        raise CdpError(f"no {method} in {self.timeout} s")

    # ---- what the test does --------------------------------------------------------------------

    def navigate(self, url: str) -> None:
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        answer = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in answer:
            raise CdpError(f"{expression!r}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        """Polls a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise CdpError(f"timed out after {self.timeout} s waiting for {what}")

    def click(self, selector: str) -> None:
        """A real mouse click at the centre of the element (scrolled into view first)."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left",
                clickCount=1,
            )

    def press(self, key: str, code: int, text: str = "") -> None:
        """One key press as the keyboard sends it (key down with its text, key up)."""
        self.send(
            "Input.dispatchKeyEvent",
            type="keyDown",
            key=key,
            code=key,
            windowsVirtualKeyCode=code,
            text=text,
        )
        self.send(
            "Input.dispatchKeyEvent", type="keyUp", key=key, code=key, windowsVirtualKeyCode=code
        )

    def type_text(self, text: str) -> None:
        self.send("Input.insertText", text=text)

    def fulfil(self, url_pattern: str, body: str, content_type: str = "application/json") -> None:
        """From now on, requests matching the pattern are answered with `body` by the browser
        itself (DevTools Fetch interception), as if the server had sent it."""

        def answer(params: dict) -> None:
            self.ws.send(
                json.dumps(
                    {
                        "id": next(self._ids),
                        "method": "Fetch.fulfillRequest",
                        "params": {
                            "requestId": params["requestId"],
                            "responseCode": 200,
                            "responseHeaders": [{"name": "Content-Type", "value": content_type}],
                            "body": base64.b64encode(body.encode()).decode(),
                        },
                    }
                )
            )

        self.handlers["Fetch.requestPaused"] = answer
        self.send("Fetch.enable", patterns=[{"urlPattern": url_pattern}])

    def stop_intercepting(self) -> None:
        self.send("Fetch.disable")
        self.handlers.pop("Fetch.requestPaused", None)

    def errors(self) -> list[str]:
        """Uncaught exceptions and console.error calls since the last navigation."""
        out = []
        for e in self.events:
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(e["params"]["exceptionDetails"])[:500])
            elif e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error":
                out.append(json.dumps(e["params"]["args"])[:500])
        return out

    def screenshot(self, path: Path) -> Path:
        """The whole page, not just the viewport."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.send(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
