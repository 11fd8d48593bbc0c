/**
 * The door's bounded read in TypeScript: a gzip that expands past the limit is refused after
 * reading at most the limit, a normal one is read whole. The rules themselves are held to the
 * Python reference by parity_tests/test_input_rules_parity.py.
 */
import assert from "node:assert/strict";
import { DataError, latestAllowedDate, MAX_INPUT_BYTES, readBounded } from "./input_rules.ts";

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
