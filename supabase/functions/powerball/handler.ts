// powerball: Powerball tickets sampled from the active models' probabilities for the next draw,
// reproducible with a seed, with the models' measured skill against uniform and a disclaimer.
//
// POST body (JSON object, every field optional; an empty body is {}):
//   count  integer 1..20, default 1         the number of tickets
//   seed   integer 0..4294967295, default a random one (returned, so the answer can be replayed)
// Errors: malformed JSON 400; not an object, unknown field, wrong type or out of range (count 21
// included) 422; body over 64 KiB 413; other methods 405; database unreachable 503.
//
// Models: powerball_white_xgb for the white balls and powerball_red_xgb for the Powerball (the
// XGBoost pair; the RandomForest pair is exported and evaluated too, but not served). Their P(drawn)
// per number (probabilities column 1) for the next draw's features, computed from the last 100
// draws in public.powerball_draws, become sampling weights (scores / sum, _shared/powerball/sampling.ts).
// The same seed with the same draws and model versions gives the same tickets.
import { HttpError, json, onlyKeys, readJsonObject, serveJson } from "../_shared/http.ts";
import { jsonList, withDb } from "../_shared/db.ts";
import {
  activeModels,
  activeVersionsSql,
  enginesOf,
  type LoadedModel,
  predictRows,
} from "../_shared/models.ts";
import {
  type Draw,
  HISTORY_WINDOW,
  N_FEATURES,
  nextDrawFeatures,
  RED,
  WHITE,
} from "../_shared/powerball/features.ts";
import { drawTickets, samplingWeights } from "../_shared/powerball/sampling.ts";

export const MAX_COUNT = 20;
export const MAX_SEED = 0xffffffff;
export const WHITE_MODEL = "powerball_white_xgb";
export const RED_MODEL = "powerball_red_xgb";
export const DISCLAIMER =
  "Lottery draws are random: these numbers are no more likely to win than " +
  "any others, and the expected return of a $2 ticket is far below $2.";

export interface PowerballRequest {
  count: number;
  seed: number;
}

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(422, "invalid_body", `${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

export function parseRequest(body: Record<string, unknown>): PowerballRequest {
  onlyKeys(body, ["count", "seed"]);
  return {
    count: body.count === undefined ? 1 : integerIn(body.count, "count", 1, MAX_COUNT),
    seed: body.seed === undefined ? randomSeed() : integerIn(body.seed, "seed", 0, MAX_SEED),
  };
}

// One round trip: the last HISTORY_WINDOW draws (oldest first) and the active model versions.
const DRAWS_SQL = `
select ${activeVersionsSql(2)} as models,
  (select coalesce(json_agg(json_build_array(d.draw_date::text, d.w, d.powerball)
                            order by d.draw_date), '[]'::json)
   from (select draw_date, array[white_1, white_2, white_3, white_4, white_5]::int[] as w,
                powerball::int as powerball
         from public.powerball_draws order by draw_date desc limit $1) d) as draws`;

/** The last HISTORY_WINDOW draws, oldest first, and the models' active versions. */
export async function recentDraws(): Promise<{ draws: Draw[]; versions: Map<string, string> }> {
  const [row] = await withDb((sql) =>
    sql.unsafe<{ models: Record<string, string>; draws: [string, number[], number][] }[]>(
      DRAWS_SQL,
      [HISTORY_WINDOW, jsonList([WHITE_MODEL, RED_MODEL])],
      { prepare: true },
    )
  );
  return {
    draws: row.draws.map(([draw_date, white, powerball]) => ({ draw_date, white, powerball })),
    versions: new Map(Object.entries(row.models)),
  };
}

/** P(drawn) per number (probabilities column 1) for the rows of one ball. */
async function scores(loaded: LoadedModel, rows: Float32Array, n: number): Promise<number[]> {
  if (loaded.entry.input_width !== N_FEATURES) {
    throw new Error(
      `${loaded.entry.name} expects ${loaded.entry.input_width} features, not ${N_FEATURES}`,
    );
  }
  const { probabilities } = await predictRows(loaded, rows, n);
  return Array.from({ length: n }, (_, i) => probabilities[i * 2 + 1]);
}

/** The manifest's walk-forward skill against uniform, as published with the model. */
function skill(loaded: LoadedModel): Record<string, unknown> {
  const measured = (loaded.entry.skill_vs_uniform ?? {}) as Record<string, unknown>;
  return { model: loaded.entry.name, version: loaded.entry.version, ...measured };
}

export const handler = serveJson(["POST"], async (req) => {
  const request = parseRequest(await readJsonObject(req));
  const { draws, versions } = await recentDraws();
  const models = await activeModels([WHITE_MODEL, RED_MODEL], versions);
  if (draws.length < HISTORY_WINDOW) {
    throw new HttpError(
      503,
      "insufficient_history",
      `need ${HISTORY_WINDOW} Powerball draws, the database has ${draws.length}`,
    );
  }
  const features = nextDrawFeatures(draws);
  const white = models.get(WHITE_MODEL)!;
  const red = models.get(RED_MODEL)!;
  const [whiteScores, redScores] = await Promise.all([
    scores(white, features.white, WHITE.nNumbers),
    scores(red, features.red, RED.nNumbers),
  ]);
  const tickets = drawTickets(
    samplingWeights(whiteScores),
    samplingWeights(redScores),
    request.count,
    request.seed,
  );
  return json({
    tickets,
    seed: request.seed,
    count: request.count,
    model_versions: { [WHITE_MODEL]: white.entry.version, [RED_MODEL]: red.entry.version },
    engine: enginesOf([white, red]),
    based_on: { draws: draws.length, last_draw_date: features.lastDrawDate },
    skill_vs_uniform: { white: skill(white), powerball: skill(red) },
    disclaimer: DISCLAIMER,
  });
});
