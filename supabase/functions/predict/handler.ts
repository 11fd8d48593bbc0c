// predict: the mobile app's real-time call (supabase-js functions.invoke('predict', { body })).
// Body: {game_id} | {state, game_number} | {games: [...up to 100 of those]}, optional `date`
// (YYYY-MM-DD, default today UTC: the latest snapshot on or before it is used).
// One game -> {result}; a list -> {results: [...]} in the order asked, unknown games marked.
import {
  dateOrToday,
  HttpError,
  json,
  onlyKeys,
  readJsonObject,
  serveJson,
} from "../_shared/http.ts";
import { withDb } from "../_shared/db.ts";
import { enginesOf } from "../_shared/models.ts";
import {
  type Game,
  type GamePrediction,
  loadGameDays,
  predictGameDays,
  scratchoffModels,
} from "../_shared/scratchoff/serve.ts";

export const MAX_GAMES = 100;

type GameRef = { game_id: number } | { state: string; game_number: string };

function parseRef(value: unknown, where: string): GameRef {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(422, "invalid_body", `${where} must be an object`);
  }
  const ref = value as Record<string, unknown>;
  if ("game_id" in ref) {
    onlyKeys(ref, ["game_id"], where);
    const id = ref.game_id;
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) {
      throw new HttpError(422, "invalid_body", `${where}.game_id must be a positive integer`);
    }
    return { game_id: id };
  }
  onlyKeys(ref, ["state", "game_number"], where);
  const { state, game_number } = ref;
  if (typeof state !== "string" || !/^[A-Za-z]{2}$/.test(state)) {
    throw new HttpError(422, "invalid_body", `${where}.state must be a 2-letter state code`);
  }
  const number = typeof game_number === "number" && Number.isSafeInteger(game_number)
    ? String(game_number)
    : game_number;
  if (typeof number !== "string" || number.length < 1 || number.length > 32) {
    throw new HttpError(
      422,
      "invalid_body",
      `${where}.game_number must be a string of 1-32 characters or an integer`,
    );
  }
  return { state: state.toUpperCase(), game_number: number };
}

export interface PredictRequest {
  refs: GameRef[];
  single: boolean;
  date: string;
}

export function parseRequest(body: Record<string, unknown>): PredictRequest {
  const date = dateOrToday(body.date, "date");
  if ("games" in body) {
    onlyKeys(body, ["games", "date"]);
    const games = body.games;
    if (!Array.isArray(games) || games.length === 0) {
      throw new HttpError(422, "invalid_body", "games must be a non-empty array");
    }
    if (games.length > MAX_GAMES) {
      throw new HttpError(413, "too_many_games", `at most ${MAX_GAMES} games per request`);
    }
    return { refs: games.map((g, i) => parseRef(g, `games[${i}]`)), single: false, date };
  }
  const { date: _date, ...ref } = body;
  if (Object.keys(ref).length === 0) {
    throw new HttpError(422, "invalid_body", "give game_id, or state and game_number, or games");
  }
  return { refs: [parseRef(ref, "body")], single: true, date };
}

function matches(ref: GameRef, game: Game): boolean {
  return "game_id" in ref
    ? game.id === ref.game_id
    : game.state === ref.state && game.game_number === ref.game_number;
}

/** The response object of one game: the prediction row's fields plus the analytics, and the ONNX
 * engine that ran the models ("builtin": the runtime's own; "web": onnxruntime-web). */
export function presentPrediction(
  p: GamePrediction,
  date: string,
  modelVersion: string,
  engine: string,
): Record<string, unknown> {
  return {
    game: {
      id: p.game.id,
      state: p.game.state,
      game_number: p.game.game_number,
      name: p.game.name,
      ticket_price: p.game.ticket_price,
      is_active: p.game.is_active,
    },
    prediction_date: date,
    snapshot_date: p.snapshot_date,
    data_as_of: p.snapshot_date,
    stale: p.stale,
    model_version: modelVersion,
    engine,
    prediction: p.prediction,
    reason: p.reason,
    analytics: p.metrics,
    features: p.features,
  };
}

export const handler = serveJson(["POST"], async (req) => {
  const request = parseRequest(await readJsonObject(req));
  const ids = request.refs.flatMap((r) => ("game_id" in r ? [r.game_id] : []));
  const keys = request.refs.flatMap((r) => ("game_id" in r ? [] : [r]));
  const { days, versions } = await withDb((sql) => loadGameDays(sql, { ids, keys }, request.date));
  const models = await scratchoffModels(versions);
  const predictions = await predictGameDays(days, models);
  const engine = enginesOf(models.models.values());
  const results = request.refs.map((ref) => {
    const found = predictions.find((p) => matches(ref, p.game));
    return found ? presentPrediction(found, request.date, models.version, engine) : null;
  });
  if (request.single) {
    if (results[0] === null) throw new HttpError(404, "not_found", "no such game");
    return json({ result: results[0] });
  }
  return json({
    results: results.map((r, i) =>
      r ?? { request: request.refs[i], error: { code: "not_found", message: "no such game" } }
    ),
  });
});
