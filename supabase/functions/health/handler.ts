// health: proves the gateway, its JWT check and the function runtime end to end.
import { json, serveJson } from "../_shared/http.ts";

export const handler = serveJson(
  ["GET", "POST"],
  (_req) =>
    Promise.resolve(json({ status: "ok", function: "health", time: new Date().toISOString() })),
);
