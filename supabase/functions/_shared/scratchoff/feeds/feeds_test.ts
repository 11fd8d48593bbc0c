/**
 * Unit tests of the feed adapters' port: a Texas day (latin-1, checksum, tier order), the New York
 * label policy and top tier, refusals naming document, row and column. Agreement with the Python
 * reference on every shipped payload is parity_tests/test_feed_parity.py.
 */
import assert from "node:assert/strict";
import { formatDollars } from "./common.ts";
import { prizeDollars } from "./ny.ts";
import { detectState, FeedError, parseFeed } from "./registry.ts";

const HEADER = '"Scratch-Off Prizes as of 07/04/2026"\r\n"Game Number","Game Name",' +
  '"Game Close Date","Ticket Price","Prize Level","Total Prizes in Level","Prizes Claimed"\r\n';

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function tx(text: string) {
  return [{ name: "scratchoff.csv", data: latin1(text) }];
}

function refusal(fn: () => unknown): FeedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FeedError) return err;
    throw err;
  }
  throw new Error("not refused");
}

Deno.test("a Texas day becomes canonical rows, tier 1 the largest prize", () => {
  const feed = parseFeed(
    "TX",
    tx(
      HEADER + '2745,"Airstream\u00ae Dream",,5,"5","100",40\r\n' +
        '2745,"Airstream\u00ae Dream",,5,"100000","5",1\r\n' +
        '2745,"Airstream\u00ae Dream",,5,"TOTAL","105",41\r\n',
    ),
  );
  assert.equal(feed.asOf, "2026-07-04");
  assert.deepEqual(
    feed.rows.map((r) => [r.tier_index, r.prize_label, r.prize_amount, r.prizes_remaining]),
    [[1, "$100,000", 100000, 4], [2, "$5", 5, 60]],
  );
  assert.equal(feed.rows[0].game_name, "Airstream\u00ae Dream");
  assert.equal(feed.rows[0].overall_odds, null);
  assert.equal(detectState(tx(HEADER)), "TX");
});

Deno.test("a Texas game whose levels miss its TOTAL is refused by name", () => {
  const err = refusal(() =>
    parseFeed(
      "TX",
      tx(HEADER + '7,"Lucky",,5,"5","10",3\r\n7,"Lucky",,5,"TOTAL","10",4\r\n'),
    )
  );
  assert.equal(err.row, 4);
  assert.equal(err.column, "Prizes Claimed");
  assert.match(err.message, /game 7 \(Lucky\) refused: its prize levels sum to 3/);
});

Deno.test("an HTML error page, a cut file and an unknown state are refused", () => {
  assert.match(
    refusal(() => parseFeed("TX", tx("<html>503</html>"))).message,
    /row 1: not a Texas scratchoff\.csv/,
  );
  assert.match(
    refusal(() => parseFeed("TX", tx(HEADER + '7,"Lucky",,5,"5","10'))).message,
    /row 3: malformed CSV/,
  );
  assert.match(
    refusal(() => parseFeed("MN", tx(HEADER))).message,
    /unknown feed layout for state "MN": known: TX, NY/,
  );
});

Deno.test("New York labels become dollars by the documented policy", () => {
  assert.deepEqual(prizeDollars("$1K/WK/LIFE", 2), [1000 * 52 * 20, false]);
  assert.deepEqual(prizeDollars("$10,000/WEEK/LIFE", 20), [10000 * 52 * 20, false]);
  assert.deepEqual(prizeDollars("$50K Annual Installments", 5), [1000000, false]);
  assert.deepEqual(prizeDollars("FREE Take 5 FP", 1), [1, true]);
  assert.deepEqual(prizeDollars("2,000", 5), [2000, false]);
  assert.equal(prizeDollars("A NEW CAR", 5), null);
  assert.equal(formatDollars(1234567.5), "$1,234,567.50");
});

Deno.test("New York: the advertised top prize is tier 1; equal amounts keep their own tiers", () => {
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const status = [
    ["$5K/WK/LIFE", "2", "1", "1"],
    ["$5,000", "4", "1", "3"],
    ["FREE Take 5 FP", "30", "10", "20"],
    ["$5", "30", "20", "10"],
  ].map(([prize_amount, total, paid, unpaid]) => ({
    game_number: "1548",
    game_name: "SET FOR LIFE",
    prize_amount,
    total,
    paid,
    unpaid,
  }));
  const list = {
    rows: [{
      game_number: "1548",
      title: "SET FOR LIFE",
      ticket_price: "5",
      overall_odds: "1 in 4.00",
      top_prize_amount: "$5K/WK/LIFE",
      top_prize_remaining: "1",
    }],
  };
  const docs = [{ name: "list.json", data: enc(list) }, { name: "status.json", data: enc(status) }];
  assert.equal(detectState(docs), "NY");
  const feed = parseFeed("NY", docs, "2025-10-13");
  assert.deepEqual(
    feed.rows.map((r) => [r.tier_index, r.prize_label, r.prize_amount]),
    [[1, "$5K/WK/LIFE", 5200000], [2, "$5,000", 5000], [3, "FREE Take 5 FP", 5], [
      4,
      "$5",
      5,
    ]],
  );
  assert.equal(feed.rows[0].total_tickets_printed, 4 * 36); // the odds leave out free plays
  assert.match(refusal(() => parseFeed("NY", docs)).message, /carries no date/);
});
