// ingest: called by the pg_cron schedule at 07:30 UTC (net.http_post with the service role key),
// half an hour before the daily batch. For every enabled row of feed_sources (or the `states`
// asked for): fetch its requests (feeds.ts: templates over ids, caps, time-outs), archive every
// payload fetched (feed_payloads: nothing fetched is lost, the same answer is stored once), parse and validate it
// with the state's adapter, pass its rows through the door (_shared/input_rules.ts: the rules of
// `python -m trainer ingest`, trainer/rules.py) and write the state's new day in one transaction,
// checked against the stored history first. Every state gets an ingest_runs row; a failing or
// refused state writes nothing else and does not stop the others. The adapter's warnings (a game
// dropped: its name and field) go to the run's warnings, before the door's, whatever the outcome;
// they are the reason a game of the feed is missing. A feed whose as-of date is the
// stored latest day or older changes nothing, and its run says so (ingest is monotone in time: an
// older day never overwrites a game's current attributes or active flag).
import { requireRole } from "../_shared/auth.ts";
import { HttpError, json, onlyKeys, readJsonObject, serveJson } from "../_shared/http.ts";
import { jsonList, withDb } from "../_shared/db.ts";
import {
  DataError,
  FEED_ROWS,
  type ScratchoffRow,
  validateFeedRows,
} from "../_shared/input_rules.ts";
import { parseFeed, requestIds } from "../_shared/scratchoff/feeds/registry.ts";
import { dateHint, FeedFailure, type FeedSource, type Fetched, fetchSource } from "./feeds.ts";
import { archive, lockState, markOddsDerived, recordRun, type Run, writeDay } from "./store.ts";

function parseStates(value: unknown): string[] | null {
  if (value === undefined) return null;
  if (
    !Array.isArray(value) || value.length === 0 ||
    !value.every((s) => typeof s === "string" && /^[A-Za-z]{2}$/.test(s))
  ) {
    throw new HttpError(422, "invalid_body", "states must be a non-empty array of 2-letter codes");
  }
  return value.map((s) => (s as string).toUpperCase());
}

async function sources(states: string[] | null): Promise<FeedSource[]> {
  return await withDb((sql) =>
    sql.unsafe<FeedSource[]>(
      `select state, layout, requests, timeout_ms, state_timeout_ms, max_requests, concurrency,
         time_zone from public.feed_sources
       where enabled and ($1::text is null or state in (select jsonb_array_elements_text($1::text::jsonb))) order by state`,
      [jsonList(states)],
    )
  );
}

/** The documents of a fetch in messages: their URLs, or the first and a count (a feed with one
 * request per game). */
function documentsName(docs: Fetched[]): string {
  if (docs.length <= 3) return docs.map((d) => d.url).join(", ");
  return `${docs[0].url} and ${docs.length - 1} more documents`;
}

/** One state, start to end; never throws (a failure is the run's outcome). */
export async function ingestState(source: FeedSource): Promise<Run> {
  const run: Run = {
    state: source.state,
    started_at: new Date().toISOString(),
    as_of: null,
    stored_as_of: null,
    outcome: "failed",
    rows: 0,
    counts: {},
    payload_ids: [],
    error: null,
    warnings: [],
  };
  let fetched: Fetched[] = [];
  let feedWarnings: string[] = [];
  try {
    const outcome = await fetchSource(source, (doc) => requestIds(source.layout, doc));
    fetched = outcome.fetched;
    let problem = outcome.problem;
    const file = documentsName(fetched) + FEED_ROWS;
    let parsed = null;
    let rows: ScratchoffRow[] = [];
    if (problem === null) {
      try {
        parsed = parseFeed(
          source.layout,
          fetched.map((d) => ({ name: d.url, data: d.body })),
          dateHint(fetched.map((d) => d.last_modified), new Date(run.started_at), source.time_zone),
        );
        feedWarnings = parsed.warnings;
        run.warnings = feedWarnings;
        // The adapter's own state for the door (its time zone dates the future-date rule); the
        // rows are stored under the source's code.
        rows = validateFeedRows(parsed.rows, file);
      } catch (err) {
        problem = (err as Error).message;
      }
    }
    run.as_of = parsed?.asOf ?? null;
    run.rows = parsed?.rows.length ?? 0;
    // Archived first, in its own statement: kept even when the state's write below fails.
    run.payload_ids = await withDb((sql) => archive(sql, source.state, fetched, run.as_of));
    if (problem !== null || parsed === null) throw new FeedFailure(problem ?? "no payload");
    const { asOf, rows: feedRows } = parsed;
    await withDb((sql) =>
      sql.begin(async (tx) => {
        run.stored_as_of = await lockState(tx, source.state);
        if (run.stored_as_of !== null && asOf <= run.stored_as_of) {
          run.outcome = asOf === run.stored_as_of ? "same_day" : "older";
        } else {
          const written = await writeDay(tx, source.state, asOf, rows, file);
          await markOddsDerived(tx, source.state, feedRows);
          run.counts = written.counts;
          run.warnings = [...feedWarnings, ...written.warnings];
          run.outcome = "ingested";
        }
        await recordRun(tx, run);
      })
    );
    return run;
  } catch (err) {
    const refused = err instanceof FeedFailure || err instanceof DataError;
    run.outcome = "failed";
    run.counts = {};
    run.warnings = feedWarnings;
    run.error = refused ? err.message : `${(err as Error).message}`;
    if (!refused) console.error(err);
    try {
      await withDb((sql) => recordRun(sql, run));
    } catch (recordErr) {
      console.error(`could not record the failed run of ${source.state}:`, recordErr);
    }
    return run;
  }
}

export const handler = serveJson(["POST"], async (req) => {
  requireRole(req, "service_role");
  const body = await readJsonObject(req);
  onlyKeys(body, ["states"]);
  const t0 = performance.now();
  const runs = await Promise.all((await sources(parseStates(body.states))).map(ingestState));
  const outcomes: Record<string, number> = {};
  for (const r of runs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  return json({ runs, outcomes, timings_ms: { total: Math.round(performance.now() - t0) } });
});
