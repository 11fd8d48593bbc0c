// The page's one script: reads config.json (project URL + anon key), calls the edge functions
// with supabase-js (`powerball` for tickets, `picks` for the day's stored scratch-off predictions)
// and renders what they answer. Every failure is shown as a message, never a blank page. All data
// goes into the page as text (textContent), never as HTML.

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const CHART_GAMES = 15;
// each game's two bars: the value, its offset in the game's row, its class (colour)
const BARS = [["ev_per_dollar", 3, "bar-now"], ["forecast_ev_per_dollar", 13, "bar-forecast"]];

let client = null;
let apiUrl = "";

// ---- small helpers ----------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const label = (rec) => rec.replace("_", " ");

function localToday() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function daysBetween(earlier, later) {
  return Math.round(
    (Date.parse(`${later}T00:00:00Z`) - Date.parse(`${earlier}T00:00:00Z`)) / 864e5,
  );
}

function showError(box, message) {
  box.textContent = message;
  box.hidden = false;
}

/** Loading state of one form: the button disabled, the region busy, a status line read aloud. */
function busy(form, status, on, text = "") {
  form.querySelector("button").disabled = on;
  form.closest("section").setAttribute("aria-busy", String(on));
  status.textContent = text;
}

// ---- configuration and the API -----------------------------------------------------------------

async function loadConfig() {
  let config;
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    config = await res.json();
  } catch (err) {
    throw new Error(`config.json could not be read (${err.message}): see the README, "Web page".`);
  }
  const { url, anonKey } = config ?? {};
  if (typeof url !== "string" || !/^https?:\/\/[^<>]+$/.test(url) || url.includes("<")) {
    throw new Error('config.json: set "url" to the project URL (https://<ref>.supabase.co).');
  }
  if (typeof anonKey !== "string" || anonKey.length < 20 || anonKey.includes("<")) {
    throw new Error('config.json: set "anonKey" to the project\'s anon (public) key.');
  }
  if (!globalThis.supabase?.createClient) {
    throw new Error("vendor/supabase.js is missing: run scripts/setup, which copies it from npm.");
  }
  return { url: url.replace(/\/+$/, ""), anonKey };
}

/** The function's JSON error message ({"error": {"code", "message"}}) in words a person can use. */
async function errorMessage(error) {
  const response = error?.context;
  if (response instanceof Response) {
    let text = "";
    try {
      text = await response.text();
    } catch { /* the body could not be read: the status alone */ }
    try {
      const body = JSON.parse(text);
      if (typeof body?.error?.message === "string") {
        return `${body.error.message} (HTTP ${response.status}, ${body.error.code})`;
      }
    } catch { /* not JSON: say what there is */ }
    return `The server answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
  }
  if (error?.name === "FunctionsFetchError") {
    return `Could not reach the API at ${apiUrl} (the network request failed). Is it running?`;
  }
  return error?.message ?? String(error);
}

async function invoke(name, body) {
  let answer;
  try {
    answer = await client.functions.invoke(name, { body });
  } catch (err) {
    throw new Error(await errorMessage(err));
  }
  if (answer.error) throw new Error(await errorMessage(answer.error));
  if (answer.data === null || typeof answer.data !== "object") {
    throw new Error(`${name} answered something that is not JSON`);
  }
  return answer.data;
}

// ---- Powerball ---------------------------------------------------------------------------------

function ticketItem(ticket, i) {
  const li = el("li", { "data-white": ticket.white.join(","), "data-powerball": ticket.powerball });
  li.append(el("span", { class: "ticket-label" }, `Ticket ${i + 1}:`));
  for (const n of ticket.white) li.append(el("span", { class: "ball white" }, String(n)));
  li.append(el("span", { class: "visually-hidden" }, "Powerball"));
  li.append(el("span", { class: "ball red", title: "Powerball" }, String(ticket.powerball)));
  return li;
}

/** One model's measured skill against uniform draws, in plain words. */
function skillText(kind, s) {
  if (typeof s?.beats_uniform !== "boolean") {
    return `${kind}: no measured skill was published with model ${s?.model ?? "?"}.`;
  }
  const verdict = s.beats_uniform
    ? "did slightly better than picking at random"
    : "did no better than picking at random";
  const range = Array.isArray(s.eval_range) ? ` (${s.eval_range[0]} to ${s.eval_range[1]})` : "";
  const hits = kind === "Powerball"
    ? `its top pick was right in ${(100 * s.top_pick_mean_hits).toFixed(1)}% of draws, a random ` +
      `pick in ${(100 * s.top_pick_expected_hits_uniform).toFixed(1)}%`
    : `its top 5 picks matched ${s.top_pick_mean_hits.toFixed(2)} balls per draw on average, ` +
      `random picks ${s.top_pick_expected_hits_uniform.toFixed(2)}`;
  return `${kind}: tested on ${s.eval_draws} past draws it never saw${range}, the model ` +
    `${verdict}: ${hits}.`;
}

async function getNumbers(event) {
  event.preventDefault();
  const form = $("powerball-form");
  const error = $("powerball-error");
  const count = Number($("count").value);
  error.hidden = true;
  if (!Number.isInteger(count) || count < 1 || count > 20) {
    showError(error, "Choose a whole number of tickets from 1 to 20.");
    $("count").focus();
    return;
  }
  busy(form, $("powerball-status"), true, "Getting numbers…");
  try {
    const data = await invoke("powerball", { count });
    $("tickets").replaceChildren(...data.tickets.map(ticketItem));
    const { white, powerball } = data.skill_vs_uniform;
    $("skill").replaceChildren(
      el("li", {}, skillText("White balls", white)),
      el("li", {}, skillText("Powerball", powerball)),
    );
    $("disclaimer").textContent = data.disclaimer;
    $("powerball-meta").textContent = `Seed ${data.seed} (the same seed gives the same tickets); ` +
      `based on the ${data.based_on.draws} draws up to ${data.based_on.last_draw_date}.`;
    $("powerball-result").hidden = false;
    busy(form, $("powerball-status"), false, `${data.tickets.length} tickets below.`);
  } catch (err) {
    busy(form, $("powerball-status"), false);
    $("powerball-result").hidden = true; // no tickets from an earlier call beside the error
    showError(error, `Could not get numbers: ${err.message}`);
  }
}

// ---- scratch-off picks -------------------------------------------------------------------------

function freshness(data) {
  const asked = data.date;
  const today = localToday();
  const parts = [];
  if (data.prediction_date !== asked) {
    parts.push(
      `No predictions were stored for ${asked}; these are the latest before it, ` +
        `from ${data.prediction_date}.`,
    );
  } else {
    parts.push(`Predictions of ${data.prediction_date}.`);
  }
  const age = daysBetween(data.as_of_date, today);
  parts.push(
    `The prize data is as of ${data.as_of_date}` +
      (age > 0 ? `, ${age} day${age === 1 ? "" : "s"} before today (${today}).` : " (today)."),
  );
  return parts.join(" ");
}

function pickRow(p, i) {
  const odds = p.win_probability > 0 ? `1 in ${(1 / p.win_probability).toFixed(2)}` : "none";
  // three decimals: a 14-day forecast moves the return per dollar by tenths of a cent
  const ev = (x) => (x === null ? "–" : `$${x.toFixed(3)}`);
  const why = el("details", {}, el("summary", {}, "Reasoning"), el("p", {}, p.reasoning));
  return el(
    "tr",
    { "data-game-id": p.game.id },
    el("td", {}, String(i + 1)),
    el(
      "th",
      { scope: "row" },
      `${p.game.name} (#${p.game.game_number}, ${dollars.format(p.game.ticket_price)})`,
    ),
    el("td", {}, p.ai_score.toFixed(1)),
    el("td", { class: `rec ${p.recommendation}` }, label(p.recommendation)),
    el("td", { class: p.expected_value < 0 ? "loss" : "" }, dollars.format(p.expected_value)),
    el("td", {}, `${odds} (${(100 * p.win_probability).toFixed(1)}%)`),
    el(
      "td",
      {},
      p.top_prizes_left === null ? "–" : `${p.top_prizes_left} of ${p.top_prizes_printed}`,
    ),
    el("td", {}, `${ev(p.ev_per_dollar)} / ${ev(p.forecast_ev_per_dollar)}`),
    el("td", {}, why),
  );
}

/** Horizontal bars: each game's EV per dollar now and forecast 14 days out, with the $1 line. */
function chart(picks) {
  const rows = picks.slice(0, CHART_GAMES);
  const values = rows.flatMap((p) => [p.ev_per_dollar, p.forecast_ev_per_dollar])
    .filter((v) => v !== null);
  const max = Math.max(1.05, ...values.map((v) => v * 1.05));
  const [left, width, rowH, top] = [230, 400, 26, 34];
  const height = top + rows.length * rowH + 30;
  const x = (v) => left + (v / max) * width;
  const root = svg("svg", {
    viewBox: `0 0 ${left + width + 20} ${height}`,
    role: "img",
    "aria-labelledby": "chart-title chart-desc",
  });
  root.append(svg("title", { id: "chart-title" }, "Expected return per $1: now and forecast"));
  root.append(
    svg(
      "desc",
      { id: "chart-desc" },
      `For the ${rows.length} best-scored games, the gross expected value per dollar today and ` +
        "forecast 14 days out. Every bar ends left of the $1 line: every ticket loses on average. " +
        "The table below has the same numbers.",
    ),
  );
  // legend
  root.append(svg("rect", { x: left, y: 6, width: 14, height: 10, class: "bar-now" }));
  root.append(svg("text", { x: left + 20, y: 15, class: "legend" }, "now"));
  root.append(svg("rect", { x: left + 70, y: 6, width: 14, height: 10, class: "bar-forecast" }));
  root.append(svg("text", { x: left + 90, y: 15, class: "legend" }, "forecast, 14 days"));
  rows.forEach((p, i) => {
    const y = top + i * rowH;
    const name = p.game.name.length > 30 ? `${p.game.name.slice(0, 29)}…` : p.game.name;
    root.append(
      svg(
        "text",
        { x: left - 8, y: y + 15, class: "label", "text-anchor": "end" },
        `${name} $${p.game.ticket_price}`,
      ),
    );
    for (const [field, dy, cls] of BARS) {
      if (p[field] === null) continue;
      root.append(
        svg("rect", { x: left, y: y + dy, width: x(p[field]) - left, height: 9, class: cls }),
      );
    }
  });
  const axisY = top + rows.length * rowH + 4;
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    root.append(
      svg(
        "text",
        { x: x(v), y: axisY + 16, class: "tick", "text-anchor": "middle" },
        dollars.format(v),
      ),
    );
  }
  root.append(svg("line", { x1: x(1), x2: x(1), y1: top - 6, y2: axisY, class: "break-even" }));
  root.append(
    svg(
      "text",
      { x: x(1) - 4, y: top - 10, class: "tick", "text-anchor": "end" },
      "$1 back per $1 spent",
    ),
  );
  return root;
}

async function showPicks(event) {
  event?.preventDefault();
  const form = $("picks-form");
  const error = $("picks-error");
  const state = $("state").value.trim().toUpperCase();
  const date = $("date").value;
  error.hidden = true;
  if (!/^[A-Z]{2}$/.test(state)) {
    showError(error, "Enter a 2-letter state code, for example TX.");
    $("state").focus();
    return;
  }
  busy(form, $("picks-status"), true, `Loading the picks for ${state}…`);
  try {
    const data = await invoke("picks", date ? { state, date } : { state });
    busy(form, $("picks-status"), false);
    if (data.count === 0) {
      $("picks-result").hidden = true;
      $("picks-status").textContent =
        `No predictions are stored for ${state} on or before ${data.date}.`;
      return;
    }
    $("picks-freshness").textContent = freshness(data);
    $("chart").replaceChildren(chart(data.picks));
    $("chart-caption").textContent = `Expected return per $1 for the ${
      Math.min(CHART_GAMES, data.count)
    } best-scored of ${data.count} games. Left of the $1 line, a ticket loses money on average.`;
    $("picks-caption").textContent =
      `${data.count} ${state} games, best AI score first (predictions of ${data.prediction_date})`;
    $("picks-table").tBodies[0].replaceChildren(...data.picks.map(pickRow));
    $("picks-result").dataset.date = data.date;
    $("picks-result").hidden = false;
    $("picks-status").textContent = `${data.count} games below.`;
  } catch (err) {
    busy(form, $("picks-status"), false);
    $("picks-result").hidden = true;
    showError(error, `Could not load the picks: ${err.message}`);
  }
}

// ---- start -------------------------------------------------------------------------------------

async function start() {
  $("date").value = localToday();
  $("powerball-form").addEventListener("submit", getNumbers);
  $("picks-form").addEventListener("submit", showPicks);
  try {
    const config = await loadConfig();
    apiUrl = config.url;
    client = globalThis.supabase.createClient(config.url, config.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
  } catch (err) {
    showError($("config-error"), err.message);
    for (const b of document.querySelectorAll("form button")) b.disabled = true;
    return;
  }
  document.body.dataset.ready = "true";
  await showPicks();
}

start();
