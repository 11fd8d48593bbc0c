// Who is calling. The gateway (hosted: Supabase's; local: scripts/local/gateway.ts) has already
// verified the JWT's signature and expiry for functions with verify_jwt, so the role claim can be
// read without verifying again.
import { HttpError } from "./http.ts";

export function callerRole(req: Request): string | null {
  const token = req.headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  const payload = token?.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const role = JSON.parse(json).role;
    return typeof role === "string" ? role : null;
  } catch {
    return null;
  }
}

/** 401 without a token, 403 with a token of another role. */
export function requireRole(req: Request, role: string): void {
  const actual = callerRole(req);
  if (actual === null) throw new HttpError(401, "unauthorized", "a valid JWT is required");
  if (actual !== role) {
    throw new HttpError(403, "forbidden", `this function is for the ${role} only`);
  }
}
