/**
 * The door's bounded read in TypeScript: a gzip that expands past the limit is refused after
 * reading at most the limit, a normal one is read whole; a feed's canonical rows go through the
 * same door as a file's cells. The rules themselves are held to the Python reference by
 * parity_tests/test_input_rules_parity.py.
 */
import assert from "node:assert/strict";
import {
  DataError,
  latestAllowedDate,
  MAX_INPUT_BYTES,
  pythonFloat,
  readBounded,
  validateFeedRows,
} from "./input_rules.ts";
import { type CanonicalRow, formatDollars } from "./scratchoff/feeds/common.ts";

function gzipped(bytes: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array> {
  return new Blob([bytes]).stream().pipeThrough(
    new CompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
  );
}

Deno.test("a gzip that expands past the limit is refused, naming the file and the limit", async () => {
  const bomb = new Uint8Array(3 << 20); // 3 MiB of zeros, a few KiB compressed
  await assert.rejects(
    readBounded(gzipped(bomb), "bomb.csv.gz", true, 1 << 20),
    (err: unknown) =>
      err instanceof DataError && err.file === "bomb.csv.gz" &&
      err.reason.includes("1 MiB limit once decompressed"),
  );
});

Deno.test("a payload under the limit is read whole; the default limit is 64 MiB", async () => {
  const text = new TextEncoder().encode("draw_date,white_1\n2015-10-07,18\n");
  assert.deepEqual(await readBounded(gzipped(text), "ok.csv.gz", true), text);
  assert.deepEqual(await readBounded(new Blob([text]).stream(), "ok.csv", false), text);
  assert.equal(MAX_INPUT_BYTES, 64 << 20);
});

Deno.test("a broken gzip is refused as unreadable", async () => {
  const notGzip = new Blob([new TextEncoder().encode("plain text")]).stream();
  await assert.rejects(
    readBounded(notGzip, "x.gz", true),
    (err: unknown) => err instanceof DataError && err.reason.startsWith("not a readable file"),
  );
});

Deno.test("tomorrow is counted in the state's own time zone", () => {
  const lateEvening = new Date("2026-12-01T04:30:00Z"); // 22:30 on Nov 30 in Chicago
  assert.equal(latestAllowedDate("America/Chicago", lateEvening), "2026-12-01");
  assert.equal(latestAllowedDate("America/New_York", lateEvening), "2026-12-01");
  assert.equal(latestAllowedDate("UTC", lateEvening), "2026-12-02");
});

function feedRow(tier: number, prize: number, remaining: number): CanonicalRow {
  return {
    snapshot_date: "2026-11-30",
    state: "TX",
    game_number: "2400",
    game_name: "$20 Million Supreme",
    ticket_price: 100,
    overall_odds: null,
    total_tickets_printed: null,
    tier_index: tier,
    prize_label: formatDollars(prize),
    prize_amount: prize,
    prizes_printed: 10,
    prizes_remaining: remaining,
    odds_derived: false,
  };
}

Deno.test("a feed's rows pass the door as the trainer's cells: refusals name the canonical row", () => {
  const now = new Date("2026-11-30T18:00:00Z");
  const rows = [feedRow(1, 1000, 3), feedRow(2, 150.001, 4)];
  assert.throws(
    () => validateFeedRows(rows, "scratchoff.csv (canonical rows)", now),
    (err: unknown) =>
      err instanceof DataError && err.row === 3 && err.column === "prize_amount" &&
      err.reason === 'more than cent precision: "150.001"',
  );
  const late = [feedRow(1, 1000, 3)].map((r) => ({ ...r, snapshot_date: "2026-12-02" }));
  assert.throws(
    () => validateFeedRows(late, "f", now),
    (err: unknown) => err instanceof DataError && err.reason.startsWith("in the future"),
  );
  const ok = validateFeedRows([feedRow(1, 1000, 3), feedRow(2, 150, 4)], "f", now);
  assert.deepEqual(ok.map((r) => [r.line, r.tier_index, r.prize_label]), [
    [3, 2, "$150"],
    [2, 1, "$1,000"],
  ]);
});

Deno.test("numbers are quoted as Python's str() writes them", () => {
  assert.deepEqual([5, 2.5, 1e16, 1.5e20, 1e-5, 1e-4].map(pythonFloat), [
    "5.0",
    "2.5",
    "1e+16",
    "1.5e+20",
    "1e-05",
    "0.0001",
  ]);
});
