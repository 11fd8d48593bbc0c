// The database side of ingest: the archive of fetched payloads, one state's day written in one
// transaction exactly as trainer/scratchoff/store.py's write_scratchoff writes a one-day file
// (checked against the stored history first; games, prize tiers, the day's historical_snapshots,
// the active flags), and the record of every run.
import { jsonList, type Sql } from "../_shared/db.ts";
import { DataError, type ScratchoffRow } from "../_shared/input_rules.ts";
import { gameMetrics, METRIC_FIELDS } from "../_shared/scratchoff/analytics.ts";
import type { CanonicalRow } from "../_shared/scratchoff/feeds/common.ts";
import type { Fetched } from "./feeds.ts";

/** A pool or a transaction: all these need is `unsafe`. */
type Db = Pick<Sql, "unsafe">;

export type Outcome = "ingested" | "same_day" | "older" | "failed";

export interface Run {
  state: string;
  started_at: string;
  as_of: string | null;
  stored_as_of: string | null;
  outcome: Outcome;
  rows: number;
  counts: Record<string, { rows: number; inserted: number; updated: number }>;
  payload_ids: number[];
  error: string | null;
  warnings: string[]; // values loaded as given but worth a look (trainer/rules.py: a price change)
}

/** Archives every fetched document with its request's method and body and its Last-Modified (the
 * same answer to the same request once); returns their ids, in the documents' order. */
export async function archive(
  sql: Db,
  state: string,
  docs: Fetched[],
  asOf: string | null,
): Promise<number[]> {
  if (docs.length === 0) return [];
  const rows = docs.map((d, n) => ({
    n,
    url: d.url,
    method: d.method,
    request_body: d.request_body,
    last_modified: d.last_modified,
    http_status: d.status,
    content_type: d.content_type,
    sha256: d.sha256,
    body: hex(d.body),
  }));
  const ids = await sql.unsafe<{ id: number }[]>(
    `with docs as (
       select * from jsonb_to_recordset($2::text::jsonb)
         as d(n int, url text, method text, request_body text, last_modified text, http_status int,
           content_type text, sha256 text, body text)
     ), added as (
       insert into public.feed_payloads (state, url, method, request_body, last_modified,
         http_status, content_type, as_of, sha256, bytes, body)
       select distinct on (method, url, request_body, sha256) $1, url, method, request_body,
         last_modified, http_status, content_type, $3::date, sha256,
         octet_length(decode(body, 'hex')), decode(body, 'hex')
       from docs
       on conflict (state, method, url, request_body, sha256) do nothing
       returning id, method, url, request_body, sha256
     )
     select coalesce(a.id, p.id) as id from docs d
     left join added a using (method, url, request_body, sha256)
     left join public.feed_payloads p on p.state = $1 and p.method = d.method and p.url = d.url
       and p.request_body = d.request_body and p.sha256 = d.sha256
     order by d.n`,
    [state, JSON.stringify(rows), asOf],
  );
  return ids.map((r) => r.id);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function recordRun(sql: Db, run: Run): Promise<void> {
  await sql.unsafe(
    `insert into public.ingest_runs (state, started_at, as_of, stored_as_of, outcome, rows,
       counts, payload_ids, error, warnings)
     values ($1, $2::timestamptz, $3::date, $4::date, $5, $6, $7::text::jsonb,
       array(select jsonb_array_elements_text($8::text::jsonb)::bigint), $9,
       array(select jsonb_array_elements_text($10::text::jsonb)))`,
    [
      run.state,
      run.started_at,
      run.as_of,
      run.stored_as_of,
      run.outcome,
      run.rows,
      JSON.stringify(run.counts),
      jsonList(run.payload_ids),
      run.error,
      jsonList(run.warnings),
    ],
  );
}

interface StoredGame {
  game_number: string;
  overall_odds: number | null;
  total_tickets_printed: number | null;
}

/** The state's latest stored snapshot day, under a per-state lock held to the transaction's end
 * (two ingest calls at once: the second waits, then sees the first one's day). */
export async function lockState(sql: Db, state: string): Promise<string | null> {
  await sql.unsafe(`select pg_advisory_xact_lock(hashtext('ingest:' || $1))`, [state]);
  const [row] = await sql.unsafe<{ day: string | null }[]>(
    `select max(h.snapshot_date)::text as day from public.historical_snapshots h
     join public.games g on g.id = h.game_id where g.state = $1`,
    [state],
  );
  return row.day;
}

function counted(flags: { inserted: boolean }[], total: number) {
  const inserted = flags.filter((f) => f.inserted).length;
  return { rows: total, inserted, updated: flags.length - inserted };
}

// insert .. on conflict update only the rows whose values differ (as trainer/ingest.py's _upsert).
function upsert(table: string, key: string[], columns: string[], source: string): string {
  const values = columns.filter((c) => !key.includes(c));
  return `insert into public.${table} (${columns.join(", ")})
    select ${columns.join(", ")} from (${source}) s
    on conflict (${key.join(", ")}) do update set
      ${values.map((c) => `${c} = excluded.${c}`).join(", ")}
    where (${values.map((c) => `${table}.${c}`).join(", ")})
      is distinct from (${values.map((c) => `excluded.${c}`).join(", ")})
    returning (xmax = 0) as inserted`;
}

const GAME_COLUMNS = [
  "state",
  "game_number",
  "name",
  "ticket_price",
  "overall_odds",
  "total_tickets_printed",
  "top_prize_amount",
  "total_top_prizes",
  "remaining_top_prizes",
  "first_seen",
  "last_scraped_at",
];

// The feed's game rows merged with what the database knows: attributes the feed lacks (odds,
// tickets printed) are kept, first_seen never moves later, last_scraped_at never earlier.
const UPSERT_GAMES = upsert(
  "games",
  ["state", "game_number"],
  GAME_COLUMNS,
  `select $1::text as state, r.game_number, r.name, r.ticket_price,
     coalesce(r.overall_odds, g.overall_odds) as overall_odds,
     coalesce(r.total_tickets_printed, g.total_tickets_printed) as total_tickets_printed,
     r.top_prize_amount, r.total_top_prizes, r.remaining_top_prizes,
     least(r.first_seen, g.first_seen) as first_seen,
     greatest(r.last_scraped_at, g.last_scraped_at) as last_scraped_at
   from jsonb_to_recordset($2::text::jsonb) as r(game_number text, name text,
     ticket_price numeric, overall_odds float8, total_tickets_printed bigint,
     top_prize_amount numeric, total_top_prizes bigint, remaining_top_prizes bigint,
     first_seen date, last_scraped_at timestamptz)
   left join public.games g on g.state = $1 and g.game_number = r.game_number`,
);

// Keyed by the tier's index within its game's day (two tiers may pay the same amount).
const TIER_VALUES = [
  "tier_index",
  "prize_label",
  "prize_amount",
  "prizes_printed",
  "prizes_remaining",
];
const UPSERT_TIERS = upsert(
  "prize_tier_snapshots",
  ["game_id", "snapshot_date", "tier_index"],
  ["game_id", "snapshot_date", ...TIER_VALUES],
  `select g.id as game_id, r.snapshot_date, ${TIER_VALUES.map((c) => `r.${c}`).join(", ")}
   from jsonb_to_recordset($2::text::jsonb) as r(game_number text, snapshot_date date,
     tier_index smallint, prize_label text, prize_amount numeric, prizes_printed bigint,
     prizes_remaining bigint)
   join public.games g on g.state = $1 and g.game_number = r.game_number`,
);

const SNAPSHOT_COLUMNS = ["reason", ...METRIC_FIELDS];
const UPSERT_SNAPSHOTS = upsert(
  "historical_snapshots",
  ["game_id", "snapshot_date"],
  ["game_id", "snapshot_date", ...SNAPSHOT_COLUMNS],
  `select g.id as game_id, h.snapshot_date, ${SNAPSHOT_COLUMNS.map((c) => `h.${c}`).join(", ")}
   from jsonb_array_elements($2::text::jsonb) e
   cross join lateral jsonb_populate_record(null::public.historical_snapshots, e) h
   join public.games g on g.state = $1 and g.game_number = e->>'game_number'`,
);

// A game is active when it is in its state's latest snapshot: this day, the newest stored.
const SET_ACTIVE =
  `with latest as (select jsonb_array_elements_text($2::text::jsonb) as game_number)
  update public.games set is_active = (game_number in (select * from latest))
  where state = $1 and is_active is distinct from (game_number in (select * from latest))`;

/** Groups a state's rows by game, in the order the rows came. */
function byGame(rows: ScratchoffRow[]): Map<string, ScratchoffRow[]> {
  const games = new Map<string, ScratchoffRow[]>();
  for (const row of rows) {
    const list = games.get(row.game_number);
    if (list) list.push(row);
    else games.set(row.game_number, [row]);
  }
  return games;
}

// The checks against the stored history, shared with the trainer's ingest
// (supabase/migrations/*_ingest_history_schema.sql): the first row that would rewrite a stored
// day or whose remaining count rises from the stored previous day; each game whose price changed.
const HISTORY_REFUSAL =
  `select line, col, message from public.ingest_history_refusal($1::text::jsonb)`;
const PRICE_CHANGES = `select line, game_number, snapshot_date, price, before_day, before_price
  from public.ingest_price_changes($1::text::jsonb)`;

interface PriceChange {
  line: number;
  game_number: string;
  snapshot_date: string;
  price: number;
  before_day: string;
  before_price: number;
}

/** A run's warning as the trainer prints a DataWarning. */
function priceWarning(file: string, c: PriceChange): string {
  return `warning: ${file}, row ${c.line}, column 'ticket_price': game ${c.game_number} costs` +
    ` ${c.price} on ${c.snapshot_date}, ${c.before_price} on ${c.before_day}` +
    " (a price change: each day's metrics use that day's price)";
}

/** Writes one state's new day of validated rows (the caller's transaction, the state locked):
 * DataError, before anything is written, when the day contradicts the stored history; else the
 * counts and the warnings. `file` names the feed's documents in messages. */
export async function writeDay(
  sql: Db,
  state: string,
  asOf: string,
  rows: ScratchoffRow[],
  file: string,
): Promise<{ counts: Run["counts"]; warnings: string[] }> {
  const staged = JSON.stringify(rows.map((r) => ({ ...r, state, snapshot_date: asOf })));
  const [refused] = await sql.unsafe<{ line: number; col: string; message: string }[]>(
    HISTORY_REFUSAL,
    [staged],
  );
  if (refused !== undefined) throw new DataError(file, refused.line, refused.col, refused.message);
  const changes = await sql.unsafe<PriceChange[]>(PRICE_CHANGES, [staged]);
  const stored = new Map(
    (await sql.unsafe<StoredGame[]>(
      `select game_number, overall_odds, total_tickets_printed::float8 as total_tickets_printed
       from public.games where state = $1`,
      [state],
    )).map((g) => [g.game_number, g]),
  );
  const games = [];
  const snapshots = [];
  for (const [number, tiers] of byGame(rows)) {
    const head = tiers[0];
    const known = stored.get(number);
    const odds = head.overall_odds ?? known?.overall_odds ?? null;
    const printed = head.total_tickets_printed ?? known?.total_tickets_printed ?? null;
    // The top tier: tier 1, the advertised top prize (as trainer/scratchoff/store.py's game_rows).
    const top = tiers.find((t) => t.tier_index === 1) ?? tiers[0];
    games.push({
      game_number: number,
      name: head.game_name,
      ticket_price: head.ticket_price,
      overall_odds: head.overall_odds,
      total_tickets_printed: head.total_tickets_printed,
      top_prize_amount: top.prize_amount,
      total_top_prizes: top.prizes_printed,
      remaining_top_prizes: top.prizes_remaining,
      first_seen: asOf,
      last_scraped_at: `${asOf}T00:00:00Z`,
    });
    const metrics = gameMetrics(
      tiers.map((t) => ({
        prize: t.prize_amount,
        printed: t.prizes_printed,
        remaining: t.prizes_remaining,
        tier_index: t.tier_index,
      })),
      head.ticket_price,
      odds,
      printed,
    );
    snapshots.push({ ...metrics, game_number: number, snapshot_date: asOf });
  }
  const tierRows = rows.map((r) => ({
    game_number: r.game_number,
    snapshot_date: asOf,
    tier_index: r.tier_index,
    prize_label: r.prize_label,
    prize_amount: r.prize_amount,
    prizes_printed: r.prizes_printed,
    prizes_remaining: r.prizes_remaining,
  }));
  type Flags = { inserted: boolean }[];
  const gameFlags = await sql.unsafe<Flags>(UPSERT_GAMES, [state, JSON.stringify(games)]);
  const tierFlags = await sql.unsafe<Flags>(UPSERT_TIERS, [state, JSON.stringify(tierRows)]);
  const snapFlags = await sql.unsafe<Flags>(UPSERT_SNAPSHOTS, [state, JSON.stringify(snapshots)]);
  await sql.unsafe(SET_ACTIVE, [state, jsonList(games.map((g) => g.game_number))]);
  return {
    counts: {
      games: counted(gameFlags, games.length),
      prize_tier_snapshots: counted(tierFlags, tierRows.length),
      historical_snapshots: counted(snapFlags, snapshots.length),
    },
    warnings: changes.map((c) => priceWarning(file, c)),
  };
}

/** games.odds_derived of the feed's games that carry odds: true where the adapter derived them
 * (the IGT layout), false where the state published them; unchanged rows are not touched (as
 * trainer/scratchoff/store.py's mark_odds_derived). */
export async function markOddsDerived(
  sql: Db,
  state: string,
  rows: CanonicalRow[],
): Promise<void> {
  const derived = new Map<string, boolean>();
  for (const r of rows) if (r.overall_odds !== null) derived.set(r.game_number, r.odds_derived);
  if (derived.size === 0) return;
  await sql.unsafe(
    `update public.games g set odds_derived = s.flag::bool
     from jsonb_each_text($2::text::jsonb) as s(game_number, flag)
     where g.state = $1 and g.game_number = s.game_number
       and g.odds_derived is distinct from s.flag::bool`,
    [state, JSON.stringify(Object.fromEntries(derived))],
  );
}
