/**
 * Parity runner for the TypeScript port of the analytics, features and prediction row
 * (supabase/functions/_shared/{analytics,features,prediction}.ts). parity_tests/test_port_parity.py
 * drives it: ONE process computes every requested (game, day).
 *
 *   deno run --quiet --no-prompt --config supabase/functions/deno.json \
 *     parity_tests/port_runner.ts < request.json > response.json
 *
 * No permissions: it reads stdin and writes stdout only.
 *
 * Request (stdin, JSON). Any number may also be the string "NaN", "Infinity" or "-Infinity":
 *   {"reference": [...sorted forecast ev_per_dollar...], "spread_scale": 0.002,
 *    "games": [{"id": "TX-1234", "first_seen": 20541,
 *               "days": [{"day": 20541, "price": 5, "odds": 4.1 | null, "total": 1.2e6 | null,
 *                         "tiers": [[prize, printed, remaining, tier_index | null], ...]}, ...],
 *               "evaluate": [20541, ...],              (default: every day of "days")
 *               "outputs": {"20541": {"changes": [rf, xgb], "probs": [rf, xgb],
 *                                     "days_observed": 1}},   (the prediction row; optional)
 *               "reference": [...], "spread_scale": ...}]}    (optional per-game overrides)
 *
 * Response (stdout, JSON; non-finite numbers as the strings above):
 *   {"n": N, "ms": elapsed, "results": [{"game": id, "day": d, "metrics": {...GameMetrics},
 *     "features": [...] | null, "prediction": {...PredictionRow} | null}, ...]}
 * A day listed in "evaluate" but absent from "days" gets "metrics": null and features null.
 */
import {
  type GameMetrics,
  gameMetrics,
  type Tier,
} from "../supabase/functions/_shared/scratchoff/analytics.ts";
import { gameFeatures } from "../supabase/functions/_shared/scratchoff/features.ts";
import {
  type PredictionRow,
  predictionRow,
} from "../supabase/functions/_shared/scratchoff/prediction.ts";

type Num = number | string;

interface DayIn {
  day: number;
  price: Num;
  odds: Num | null;
  total: Num | null;
  tiers: [Num, Num, Num, number | null][];
}

interface OutputsIn {
  changes: Num[];
  probs: Num[];
  days_observed: Num;
}

interface GameIn {
  id: string;
  first_seen: number;
  days: DayIn[];
  evaluate?: number[];
  outputs?: Record<string, OutputsIn>;
  reference?: Num[];
  spread_scale?: Num;
}

interface Request {
  reference: Num[];
  spread_scale: Num;
  games: GameIn[];
}

interface Result {
  game: string;
  day: number;
  metrics: GameMetrics | null;
  features: number[] | null;
  prediction: PredictionRow | null;
}

function num(v: Num): number {
  return typeof v === "number" ? v : Number(v); // "NaN", "Infinity", "-Infinity"
}

function numOrNull(v: Num | null | undefined): number | null {
  return v === null || v === undefined ? null : num(v);
}

function solve(req: Request): Result[] {
  const results: Result[] = [];
  const reference0 = req.reference.map(num);
  const scale0 = num(req.spread_scale);
  for (const g of req.games) {
    const reference = g.reference !== undefined ? g.reference.map(num) : reference0;
    const scale = g.spread_scale !== undefined ? num(g.spread_scale) : scale0;
    const history = new Map<number, GameMetrics>();
    for (const d of g.days) {
      const tiers: Tier[] = d.tiers.map(([p, n, r, i]) => ({
        prize: num(p),
        printed: num(n),
        remaining: num(r),
        tier_index: i,
      }));
      history.set(d.day, gameMetrics(tiers, num(d.price), numOrNull(d.odds), numOrNull(d.total)));
    }
    const days = g.evaluate ?? g.days.map((d) => d.day);
    for (const t of days) {
      const metrics = history.get(t) ?? null;
      const features = gameFeatures(history, t, g.first_seen);
      const out = g.outputs?.[String(t)];
      const prediction = metrics !== null && out !== undefined
        ? predictionRow(
          metrics,
          num(out.days_observed),
          out.changes.map(num),
          out.probs.map(num),
          reference,
          scale,
        )
        : null;
      results.push({ game: g.id, day: t, metrics, features, prediction });
    }
  }
  return results;
}

async function writeAll(bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    done += await Deno.stdout.write(bytes.subarray(done));
  }
}

const started = performance.now();
const req = JSON.parse(await new Response(Deno.stdin.readable).text()) as Request;
const results = solve(req);
const body = JSON.stringify(
  { n: results.length, ms: performance.now() - started, results },
  (_key, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v),
);
await writeAll(new TextEncoder().encode(body));
