"""scripts/bench: DESIGN.md's bars for the edge functions, measured on a running local stack.

    scripts/bench [--duration 10] [--concurrency 1,16,64] [--json PATH] [--skip cold,scale] ...

One module per section (each can be skipped with --skip):
  predict  (predict.py, load.py, peer.py, peer_server.py) `predict`, warm, one game per request
           over HTTP on loopback, rotating over the active games, driven by wrk (Debian's native
           load generator; wrk_post.lua sends the bodies) at each connection level (1, 16, 64):
           through the gateway (JWT check, proxy, function, one PostgreSQL statement), straight
           to the function process, and the Python peer doing the same work (Starlette +
           uvicorn, psycopg pool, onnxruntime), one after the other in the same run. Each run:
           p50/p90/p99, requests/s, errors, and the servers' CPU per request (utime + stime from
           /proc of the gateway, the function, the peer and every PostgreSQL process); memory
           under the gateway's load: RSS of the gateway and each function process and each
           function's V8 heap + external (Deno.memoryUsage(), what an isolate's limit is
           measured on). `--duration 1 --warmup 0 --concurrency 1` is the smallest run.
  cold     (cold.py) new process to first answer: the gateway's predict process killed (by pid,
           this stack's only), then the next request timed; and the function spawned directly
           with `deno run` as the gateway does, timed to its first 200, with each ONNX engine.
  batch    (batch.py) `daily-batch` through the gateway with the service key for a fixed
           run_date (default: the latest snapshot day), run twice.
  scale    (scale.py) `daily-batch` for the Texas games replicated over enough states for 5,000
           active games, in a scratch database (created and dropped here), served by a
           daily-batch process spawned for it; run twice.
  ingest   (ingest.py) `ingest` through the gateway and the loopback feed server: one Texas day
           in the function, new and again; 50 states' feeds of one day in one call, end to end.
  feeds    (feeds.py) every enabled state's feed with its per-game requests (Texas's game pages,
           Massachusetts's prize documents, ...) in one `ingest` call, end to end.
  onnx     (model_files.py) each .onnx size from onnx_models/manifest.json.
  native   (native.py) the same single-game prediction in Python in process (metrics, features,
           the four models, the prediction row): onnxruntime and the refitted native models.
  export   (export.py; only with --with-export) `python -m trainer export --force --out <tmp>`.
common.py holds the bars, statistics and table; stack.py the stack and its processes; load.py the
wrk runs and the CPU accounting; __main__.py the options and the report.

It needs the stack up with data and models (scripts/stack up; python -m trainer ingest; python -m
trainer publish), and stops everything it starts (its own processes, the scratch database). No
test asserts a time: this prints numbers against the targets; the exit code is non-zero only when a
measurement could not be made.
"""
