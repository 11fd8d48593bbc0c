/**
 * The shared door (`readJsonObject`): text that JavaScript holds and PostgreSQL refuses (a lone
 * UTF-16 surrogate, U+0000) is a 422 naming the field, at any depth; what PostgreSQL stores passes.
 * The same refusal over HTTP, per function: supabase/tests/test_functions_http.py.
 */
import assert from "node:assert/strict";
import { HttpError, readJsonObject } from "./http.ts";

function read(body: string): Promise<Record<string, unknown>> {
  return readJsonObject(new Request("http://localhost/x", { method: "POST", body }));
}

async function refusal(body: string): Promise<string> {
  try {
    await read(body);
  } catch (err) {
    assert.ok(err instanceof HttpError, String(err));
    assert.equal(err.status, 422);
    assert.equal(err.code, "invalid_body");
    return err.message;
  }
  throw new Error(`accepted: ${body}`);
}

Deno.test("door: a lone surrogate or U+0000 is a 422 naming the field", async () => {
  const surrogate = "a lone UTF-16 surrogate (U+D800-U+DFFF unpaired)";
  assert.equal(
    await refusal(String.raw`{"state": "TX", "game_number": "\ud800"}`),
    `game_number must not contain ${surrogate}`,
  );
  assert.equal(
    await refusal(String.raw`{"games": [{"game_id": 1}, {"state": "T\udfffX"}]}`),
    `games[1].state must not contain ${surrogate}`,
  );
  assert.equal(
    await refusal(String.raw`{"a": {"b": ["x", "\u0000"]}}`),
    "a.b[1] must not contain the NUL character (U+0000)",
  );
  // a high surrogate followed by another high one is still unpaired
  assert.match(await refusal(String.raw`{"s": "\ud800\ud800"}`), /^s must not contain a lone/);
  assert.equal(
    await refusal(String.raw`{"games": [{"st\ud800ate": "TX"}]}`),
    String.raw`a field name in games[0] ("st\ud800ate") must not contain ${surrogate}`,
  );
});

Deno.test("door: text PostgreSQL stores passes (a surrogate pair, a noncharacter)", async () => {
  const body = await read(String.raw`{"s": "\ud83c\udfb0 \uffff \ufdd0", "t": ["\u0001"]}`);
  assert.deepEqual(body, { s: "\u{1F3B0} \uFFFF \uFDD0", t: ["\u0001"] });
});

Deno.test("door: bad text at the bottom of a 10,000-deep body (60 KB) is found, without recursion", async () => {
  const depth = 10_000;
  const message = await refusal(`${'{"a":'.repeat(depth)}"\\ud800"${"}".repeat(depth)}`);
  assert.equal(
    message,
    `${
      Array(depth).fill("a").join(".")
    } must not contain ${"a lone UTF-16 surrogate (U+D800-U+DFFF unpaired)"}`,
  );
});
