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
    /unknown feed layout for state "MN": known: TX, NY, NJ/,
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

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

Deno.test("one odd Texas game is dropped with a warning; the day's other games load", () => {
  const feed = parseFeed(
    "TX",
    tx(
      HEADER + '1,"A",,5,"A CAR","10",3\r\n1,"A",,5,"TOTAL","10",3\r\n' +
        '2,"B",,5,"5","10",4\r\n2,"B",,5,"TOTAL","10",4\r\n',
    ),
  );
  assert.deepEqual([...new Set(feed.rows.map((r) => r.game_number))], ["2"]);
  assert.deepEqual(feed.warnings, [
    'TX game 1: Prize Level "A CAR" cannot be valued; game not loaded',
  ]);
});

Deno.test("one New York game with an unknown label is dropped; the others load", () => {
  const row = (game_number: string, prize_amount: string) => ({
    game_number,
    game_name: `G${game_number}`,
    prize_amount,
    total: "10",
    paid: "4",
    unpaid: "6",
  });
  const listed = (game_number: string) => ({
    game_number,
    title: `G${game_number}`,
    ticket_price: "2",
    overall_odds: "1 in 4",
    top_prize_amount: "$100",
  });
  const docs = [
    { name: "status.json", data: enc([row("1", "$100"), row("2", "$100"), row("2", "FOO BAR")]) },
    { name: "list.json", data: enc({ rows: [listed("1"), listed("2")] }) },
  ];
  const feed = parseFeed("NY", docs, "2025-10-13");
  assert.deepEqual(feed.rows.map((r) => r.game_number), ["1"]);
  assert.equal(feed.warnings.length, 1);
  assert.match(feed.warnings[0], /^NY game 2: prize_amount "FOO BAR" cannot be valued/);
});

function igtGame(gameId: string, status: string, tiers: [number, number, number, number][]) {
  return {
    gameId,
    gameName: `Game ${gameId}`,
    ticketPrice: 500,
    totalTicketsPrinted: 1000,
    validationStatus: status,
    launchDate: 1451883600000,
    prizeTiers: tiers.map(([tierType, prizeAmount, winningTickets, paidTickets], j) => ({
      tierNumber: j + 1,
      tierType,
      prizeAmount,
      prizeDescription: tierType === 2 ? "FREE TICKET" : `$${prizeAmount / 100}`,
      winningTickets,
      paidTickets,
      claimedTickets: 0,
    })),
  };
}

Deno.test("IGT layout: cents, remaining = winning - paid, derived odds flagged, ACTIVE only", () => {
  const answer = {
    games: [
      igtGame("1", "ACTIVE", [[1, 500, 200, 50], [2, 500, 100, 10], [1, 100000, 2, 1]]),
      igtGame("2", "DISABLED", [[1, 500, 200, 200]]),
      igtGame("3", "ACTIVE", [[9, 500, 200, 50]]),
    ],
  };
  const feed = parseFeed("NJ", [{ name: "games.json", data: enc(answer) }], "2019-03-13");
  assert.deepEqual(
    feed.rows.map((r) => [r.game_number, r.tier_index, r.prize_amount, r.prizes_remaining]),
    [["1", 1, 1000, 1], ["1", 2, 5, 150], ["1", 3, 5, 90]],
  );
  assert.equal(feed.rows[0].overall_odds, 1000 / 302);
  assert.equal(feed.rows[0].odds_derived, true);
  assert.deepEqual(feed.warnings, [
    "NJ game 3: prizeTiers[0].tierType 9 cannot be valued; game not loaded",
  ]);
  assert.throws(
    () => detectState([{ name: "games.json", data: enc(answer) }]),
    /the layout of NJ, SD, GA: name the state/,
  );
  const err = refusal(() =>
    parseFeed("GA", [{ name: "list.json", data: enc({ rows: [] }) }], "2019-03-13")
  );
  assert.equal(err.column, "games");
  assert.match(err.message, /missing/);
});

Deno.test("Michigan: the two answers joined on the game id; a game missing is dropped", () => {
  const element = (id: number) => ({
    cms_game_igt_id: id,
    game_name: `G${id}`,
    prizesRemainingData: [
      { prize_level: 1, prize_amount: 1, prizes_remaining: 90, starting_amount: 100 },
      { prize_level: 2, prize_amount: 500, prizes_remaining: 1, starting_amount: 2 },
    ],
  });
  const prizes = { data: { getRetailTopPrizesRemainingByGameType: [element(316), element(7)] } };
  const games = {
    data: {
      getCMSGames: [{
        igtId: 316,
        displayedTicketPrice: "$1.00",
        overallOdds: "1 in 4.50",
        gameCategoryIdentifier: "RETAIL_INSTANT_GAMES_CATEGORY",
      }],
    },
  };
  const docs = [{ name: "p.json", data: enc(prizes) }, { name: "g.json", data: enc(games) }];
  const feed = parseFeed("MI", docs, "2019-12-04");
  assert.deepEqual(feed.rows.map((r) => [r.game_number, r.tier_index, r.prize_amount]), [
    ["316", 1, 500],
    ["316", 2, 1],
  ]);
  assert.equal(feed.rows[0].overall_odds, 4.5);
  assert.match(feed.warnings[0], /^MI game 7: cms_game_igt_id is not among getCMSGames/);
  const err = refusal(() => parseFeed("MI", [docs[1], docs[0]], "2019-12-04"));
  assert.equal(err.column, "data.getRetailTopPrizesRemainingByGameType");
});

Deno.test("Florida: one answer; a failing checksum refuses the day, naming the field", () => {
  const game = (paid: number) => ({
    Id: 1501,
    GameName: "G",
    TicketPrice: 5,
    OverallOdds: "1-in-4.00",
    OddsTiers: [
      { PrizeAmount: "$5.00", TotalPrizes: 100, PrizesRemaining: 60, PrizesPaid: paid },
      { PrizeAmount: "$1,000.00", TotalPrizes: 2, PrizesRemaining: 1, PrizesPaid: 1 },
    ],
  });
  const feed = parseFeed("FL", [{ name: "fl.json", data: enc([game(40)]) }], "2026-09-01");
  assert.deepEqual(feed.rows.map((r) => [r.tier_index, r.prize_label, r.prizes_remaining]), [
    [1, "$1,000", 1],
    [2, "$5", 60],
  ]);
  const err = refusal(() =>
    parseFeed("FL", [{ name: "fl.json", data: enc([game(41)]) }], "2026-09-01")
  );
  assert.equal(err.column, "OddsTiers[0].TotalPrizes");
  assert.match(
    refusal(() => parseFeed("FL", [{ name: "x.json", data: enc({ games: [] }) }], "2026-09-01"))
      .message,
    /expected an array of games/,
  );
});
