"""The web page (web/) in a real browser against the running local stack: Debian's headless
Chromium, driven by Playwright for Python (its pip package alone: no browser of its own is
downloaded), loads the page the stack serves, whose
supabase-js calls the functions through the gateway across origins (CORS), as a deployed page does.

- "Get numbers": the tickets are valid (5 distinct white balls of 1-69 ascending, a Powerball of
  1-26), as many as asked, with the measured skill in words and the disclaimer.
- The picks table of a day the real daily batch has just written (a fixed date of the shipped data,
  used by no other test, removed afterwards): one row per stored prediction of the state, best
  ai_score first, the freshness line naming the prediction and as-of dates, and the chart.
- Keyboard: Tab reaches the button, Enter submits.
- Errors: a bad anon key, or an API that does not answer, show the message, never a blank page;
  so does the unedited template config.json.
Screenshots: .stack/<api port>/web-test/*.png."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from conftest import ROOT
from playwright.sync_api import BrowserContext, Page, sync_playwright
from stack_data import ensure_loaded
from stack_process import files_of

RUN_DATE = "2026-07-12"  # inside the shipped data; written and removed by this test only
BAD_KEY = (  # a well-formed JWT of role anon, signed with another secret: the gateway says 401
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImV4cCI6MTk4MzgxMjk5Nn0."
    "9K5g8S4oQz8xY6Z3b3y1c2d5e6f7g8h9i0j1k2l3m4n"
)


@pytest.fixture(scope="module")
def site(stack):
    """The page's URL (from `scripts/stack env`, for this stack's ports) and a written batch."""
    files = files_of(stack)
    env = subprocess.run(
        [str(ROOT / "scripts" / "stack"), "env"],
        env=files.env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    web_url = next(line.split("=", 1)[1] for line in env.splitlines() if "STACK_WEB_URL=" in line)
    ensure_loaded(stack.db_url)
    with httpx.Client(timeout=120) as client:
        page = client.get(web_url + "/")
        assert page.status_code == 200, f"the stack's web server at {web_url} does not answer"
        assert client.get(web_url + "/config.json").json() == {
            "url": stack.url,
            "anonKey": stack.anon_key,
        }
        batch = client.post(
            stack.functions_url("daily-batch"),
            headers={"Authorization": f"Bearer {stack.service_role_key}"},
            json={"run_date": RUN_DATE},
        )
        assert batch.status_code == 200, batch.text
    shots = files.state / "web-test"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield web_url, batch.json(), shots
    finally:
        with psycopg.connect(stack.db_url, autocommit=True) as conn:
            conn.execute("delete from public.predictions where prediction_date = %s", (RUN_DATE,))


# Debian's Chromium (apt `chromium`, matching Playwright's protocol): Playwright's own browser
# builds are never downloaded (`playwright install` is not run), so the executable is the system's.
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",  # as root here
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def chromium() -> Iterator[BrowserContext]:
    """One headless Chromium for the module, with a fresh profile (user-data-dir)."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1200, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


class Tab:
    """A fresh page of the browser, with the console errors and uncaught exceptions it saw."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console.error: {msg.text} ({msg.location['url']})")
                if msg.type == "error"
                else None
            ),
        )

    def evaluate(self, expression: str) -> Any:
        return self.page.evaluate(expression)

    def wait_for(self, expression: str) -> Any:
        """Polls a JavaScript expression until it is truthy; returns its value."""
        return self.page.wait_for_function(expression).json_value()

    def fulfil(self, url_glob: str, body: str) -> None:
        """Requests matching the glob are answered with `body` by the browser itself, as if the
        server had sent it."""
        self.page.route(
            url_glob,
            lambda route: route.fulfill(status=200, content_type="application/json", body=body),
        )


@pytest.fixture
def browser(chromium: BrowserContext) -> Iterator[Tab]:
    """Each test gets its own page (no routes, no errors from another test)."""
    page = chromium.new_page()
    try:
        yield Tab(page)
    finally:
        page.close()


def load(browser: Tab, web_url: str) -> None:
    browser.page.goto(web_url + "/")
    browser.wait_for("document.body.dataset.ready === 'true'")
    # the page loads today's picks by itself: wait until that is done
    browser.wait_for(
        "document.querySelector('[aria-labelledby=picks-title]').getAttribute('aria-busy')"
        " === 'false'"
    )


def stored_picks(stack, state: str) -> list[tuple[int, float]]:
    with psycopg.connect(stack.db_url) as conn:
        return conn.execute(
            "select p.game_id, p.ai_score from public.predictions p"
            " join public.games g on g.id = p.game_id"
            " where p.prediction_date = %s and g.state = %s order by p.ai_score desc",
            (RUN_DATE, state),
        ).fetchall()


def test_get_numbers_shows_valid_tickets_the_skill_and_the_disclaimer(site, browser):
    web_url, _, shots = site
    load(browser, web_url)
    assert browser.page.title().startswith("Scratch Oracle")
    # every control has a label
    unlabelled = browser.evaluate(
        "[...document.querySelectorAll('input')]"
        '.filter(i => !document.querySelector(`label[for="${i.id}"]`)).map(i => i.id)'
    )
    assert unlabelled == []
    browser.page.fill("#count", "7")
    browser.page.click("#get-numbers")
    browser.wait_for(
        "!document.getElementById('powerball-result').hidden"
        " || !document.getElementById('powerball-error').hidden"
    )
    error = browser.page.text_content("#powerball-error")
    assert browser.evaluate("document.getElementById('powerball-error').hidden"), error
    tickets = browser.evaluate(
        "[...document.querySelectorAll('#tickets li')].map(li => ({"
        " white: [...li.querySelectorAll('.ball.white')].map(b => Number(b.textContent)),"
        " red: [...li.querySelectorAll('.ball.red')].map(b => Number(b.textContent))}))"
    )
    assert len(tickets) == 7
    for t in tickets:
        white, red = t["white"], t["red"]
        assert len(white) == 5 and len(set(white)) == 5, t
        assert white == sorted(white) and all(1 <= n <= 69 for n in white), t
        assert len(red) == 1 and 1 <= red[0] <= 26, t
    disclaimer = browser.page.text_content("#disclaimer")
    assert "random" in disclaimer and "$2" in disclaimer
    skill = browser.page.locator("#skill li").all_text_contents()
    assert len(skill) == 2
    assert skill[0].startswith("White balls:") and skill[1].startswith("Powerball:")
    assert all("at random" in s and "draws it never saw" in s for s in skill), skill
    assert browser.errors == []
    print(f"\n[web] 7 tickets, e.g. {tickets[0]}; skill: {skill[1]}")


def test_the_picks_table_has_one_row_per_stored_prediction_best_first(site, browser, stack):
    web_url, batch, shots = site
    load(browser, web_url)
    expected = stored_picks(stack, "TX")
    assert len(expected) == batch["predictions"]["rows"] > 0
    # keyboard only: the date typed in, Tab to the button, Enter
    browser.page.fill("#date", RUN_DATE)
    browser.page.focus("#state")
    for _ in range(5):  # Chromium's date field takes one Tab per part (month, day, year)
        browser.page.keyboard.press("Tab")
        if browser.evaluate("document.activeElement.id") == "show-picks":
            break
    assert browser.evaluate("document.activeElement.id") == "show-picks"
    browser.page.keyboard.press("Enter")
    browser.wait_for(
        f"document.getElementById('picks-result').dataset.date === '{RUN_DATE}'"
        " || !document.getElementById('picks-error').hidden"
    )
    assert browser.evaluate("document.getElementById('picks-error').hidden"), (
        browser.page.text_content("#picks-error")
    )
    rows = browser.evaluate(
        "[...document.querySelectorAll('#picks-table tbody tr')].map(tr => ({"
        " id: Number(tr.dataset.gameId), cells: [...tr.children].map(c => c.textContent)}))"
    )
    assert len(rows) == len(expected)
    assert [r["id"] for r in rows] == [game_id for game_id, _ in expected]
    for (_, score), row in zip(expected, rows, strict=True):
        assert row["cells"][2] == f"{score:.1f}"
        assert row["cells"][4].startswith("-$"), "every shipped game loses money on average"
        assert row["cells"][8].startswith("Reasoning")
    freshness = browser.page.text_content("#picks-freshness")
    assert f"Predictions of {RUN_DATE}." in freshness and "as of 2026-07-" in freshness, freshness
    assert "before today" in freshness  # the shipped data is old: the page says so
    bars = browser.page.locator("#chart svg rect.bar-forecast").count()
    assert bars == min(15, len(expected)) + 1  # the legend's swatch too
    assert browser.page.get_attribute("#chart svg", "role") == "img"
    assert browser.errors == []
    # the Powerball part too, for the screenshot of the whole page
    browser.page.click("#get-numbers")
    browser.wait_for("!document.getElementById('powerball-result').hidden")
    shot = shots / "page.png"
    browser.page.screenshot(path=shot, full_page=True)
    print(f"\n[web] {len(rows)} picks for TX on {RUN_DATE}; screenshot {shot}")


@pytest.mark.parametrize("config", ["bad-key", "no-api"])
def test_errors_are_shown_as_the_message(site, browser, stack, config):
    web_url, _, shots = site
    url = stack.url if config == "bad-key" else "http://127.0.0.1:9"  # port 9: nothing listens
    key = BAD_KEY if config == "bad-key" else stack.anon_key
    browser.fulfil("**/config.json", json.dumps({"url": url, "anonKey": key}))
    load(browser, web_url)
    browser.wait_for("!document.getElementById('picks-error').hidden")  # loaded on start
    browser.page.click("#get-numbers")
    browser.wait_for("!document.getElementById('powerball-error').hidden")
    shown = [
        browser.page.text_content("#picks-error"),
        browser.page.text_content("#powerball-error"),
    ]
    if config == "bad-key":
        # the gateway's own JSON error, as the function's clients see it
        with httpx.Client(timeout=30) as client:
            r = client.post(
                stack.functions_url("picks"),
                headers={"Authorization": f"Bearer {BAD_KEY}"},
                json={"state": "TX"},
            )
        assert r.status_code == 401
        message = r.json()["error"]["message"]
    else:
        message = "Could not reach the API at http://127.0.0.1:9"
    for text in shown:
        assert message in text, shown
    assert shown[0].startswith("Could not load the picks:")
    assert shown[1].startswith("Could not get numbers:")
    assert browser.page.is_visible("#picks-error")
    assert browser.page.is_enabled("#get-numbers")
    browser.page.screenshot(path=shots / f"error-{config}.png", full_page=True)
    print(f"\n[web] {config}: {shown[1]}")


def test_the_unedited_template_config_says_what_to_set(site, browser):
    """web/config.json as committed (the deployer's template): a clear message, buttons off."""
    web_url, _, _ = site
    browser.fulfil("**/config.json", (ROOT / "web" / "config.json").read_text())
    browser.page.goto(web_url + "/")
    shown = browser.wait_for(
        "!document.getElementById('config-error').hidden"
        " && document.getElementById('config-error').textContent"
    )
    assert 'set "url" to the project URL' in shown
    assert browser.evaluate("[...document.querySelectorAll('form button')].every(b => b.disabled)")
