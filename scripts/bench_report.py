#!/usr/bin/env python3
"""Helpers of scripts/bench.sh (not meant to be run by hand).

  bench_report.py check-mcp FILE        the body of one MCP tools/call: a real tool result?
  bench_report.py check-a2a FILE        the body of one A2A SendMessage: a completed task?
  bench_report.py startup WORKER PORT STATE
      stops WORKER, then times `scripts/stack.sh start WORKER` until the worker's /health first
      answers 200 (polled every 20 ms); prints one JSON line
  bench_report.py write RESULTS SIZES STARTUP SECONDS CONCURRENCY STARTED_EPOCH
      writes the bench section of BENCHMARKS.md (between the bench markers, rest kept)

Standard library only.
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
TITLE = "# CROW Edge benchmarks"
FLOOR = "gateway /health (floor)"


def fail(msg):
    print(f"bench sanity check failed: {msg}", file=sys.stderr)
    sys.exit(1)


def load_json(path, what):
    try:
        return json.load(open(path, encoding="utf-8"))
    except Exception as e:  # noqa: BLE001
        body = open(path, encoding="utf-8", errors="replace").read()[:500]
        fail(f"{what}: not JSON ({e}): {body!r}")


def check_mcp(path):
    r = load_json(path, "MCP tools/call")
    if "error" in r:
        fail(f"MCP tools/call answered a JSON-RPC error: {json.dumps(r['error'])[:500]}")
    res = r.get("result")
    if not isinstance(res, dict) or not res.get("content"):
        fail(f"MCP tools/call has no tool result: {json.dumps(r)[:500]}")
    if res.get("isError"):
        fail(f"MCP tools/call returned a tool error: {json.dumps(res)[:500]}")
    text = " ".join(c.get("text", "") for c in res["content"] if isinstance(c, dict))
    print(f"MCP tools/call ok: {text.splitlines()[0][:160] if text else '(no text)'}", file=sys.stderr)


def check_a2a(path):
    r = load_json(path, "A2A SendMessage")
    if "error" in r:
        fail(f"A2A SendMessage answered a JSON-RPC error: {json.dumps(r['error'])[:500]}")
    res = r.get("result") or {}
    task = res.get("task")
    if isinstance(task, dict):
        state = (task.get("status") or {}).get("state")
        if state != "TASK_STATE_COMPLETED":
            fail(f"A2A SendMessage task is {state!r}, not TASK_STATE_COMPLETED: {json.dumps(task.get('status'))[:500]}")
        if not task.get("artifacts"):
            fail("A2A SendMessage completed task has no artifact")
    elif not isinstance(res.get("message"), dict):
        fail(f"A2A SendMessage returned neither a task nor a message: {json.dumps(r)[:500]}")
    model = ((task or {}).get("metadata") or {}).get("model", "?")
    print(f"A2A SendMessage ok: completed task, model {model}", file=sys.stderr)


def startup(worker, port, state):
    url = f"http://127.0.0.1:{port}/health"
    stack = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stack.sh")
    subprocess.run(["bash", stack, "stop", worker, "--state", state], check=True)
    t0 = time.monotonic()
    p = subprocess.Popen(["bash", stack, "start", worker, "--state", state],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = None
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    first = time.monotonic() - t0
                    break
        except Exception:  # noqa: BLE001
            pass
        # stack.sh start returns once it saw /health itself, or fails (then the worker is dead
        # or never answered in its own time limit).
        if p.poll() is not None and (p.returncode != 0 or time.monotonic() - t0 > 200):
            break
        time.sleep(0.02)
    rc = p.wait()
    script = time.monotonic() - t0
    if rc != 0 or first is None:
        sys.stderr.write(p.stderr.read())
        fail(f"{worker} did not start (stack.sh start exit {rc})")
    print(json.dumps({"worker": worker, "first_answer_ms": first * 1000, "stack_sh_ms": script * 1000}))


# --------------------------------------------------------------------------------------------
# The report.

def f2(x):
    return f"{x:.2f}"


def section(results, sizes, startups, seconds, conc, started, hotpath=None):
    rows = [json.loads(l) for l in open(results, encoding="utf-8") if l.strip()]
    by = {r["label"]: r["result"] for r in rows}
    floor = by[FLOOR]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
               platform.processor())
    now = datetime.datetime.now(datetime.timezone.utc)
    took = time.time() - started
    out = []
    p = out.append
    p("")
    p(f"Written by `scripts/bench.sh` on {now:%Y-%m-%d %H:%M} UTC in {took / 60:.1f} minutes "
      f"({took:.0f} s: builds, stack start-up, {len(rows)} scenarios, start-up timings).")
    p(f"Machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}.")
    p(f"Each scenario: {seconds} s closed loop, {conc} concurrent clients, after 1 s of warm-up, against")
    p("`wrangler dev --local` (workerd) on loopback. Absolute figures depend on the machine; the ratios")
    p("to the floor measured in the same run are what compare between runs. Errors are transport")
    p("failures, HTTP statuses of 400 and above, and JSON-RPC or tool errors in a 200 answer (MCP, A2A).")
    p("")
    p("## Requests per second and latency")
    p("")
    p("| scenario | requests/s | p50 ms | p99 ms | errors | p50 ÷ floor | p99 ÷ floor |")
    p("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        x = r["result"]
        p(f"| {r['label']} | {x['rps']:.0f} | {f2(x['p50_ms'])} | {f2(x['p99_ms'])} | {x['errors']} | "
          f"{f2(x['p50_ms'] / floor['p50_ms'])} | {f2(x['p99_ms'] / floor['p99_ms'])} |")
    mcp = next((r for r in rows if r["label"].startswith("MCP ")), None)
    rest = by.get("product search, hybrid, 40 products")
    p("")
    p("The MCP row is a stateless `tools/call` of `crow_search_products` (the same query, hybrid mode,")
    p("limit 10, as the REST hybrid search row), answered by the MCP worker through its service binding")
    p("to the gateway (key verification, limiter, search). The A2A row is a blocking `SendMessage`")
    p("(A2A 1.0) answered by the stand-in's planner on the AI binding (`@local/crow-standin-planner-v1`,")
    p("a deterministic rule-based planner, not a language model): two model rounds over the binding,")
    p("the agent loop, its tool calls through the gateway and the task stored in the A2A worker's D1")
    p("database; a real model adds its own inference time on top.")
    if mcp and rest:
        m = mcp["result"]
        p(f"MCP over REST for the same search: p50 {f2(m['p50_ms'] / rest['p50_ms'])}×, "
          f"p99 {f2(m['p99_ms'] / rest['p99_ms'])}×.")

    on = by["organization GET, API key, rate-limited"]
    off = by["organization GET, API key, limiter off"]
    p("")
    p("## What the rate limiter costs")
    p("")
    p("The same authenticated request with limiting on and off (the gateway restarted with")
    p("`RATE_LIMITS=off`, a local-only switch), measured in the same run:")
    p("")
    p("| | p50 ms | p99 ms |")
    p("|---|---:|---:|")
    p(f"| limiter on | {f2(on['p50_ms'])} | {f2(on['p99_ms'])} |")
    p(f"| limiter off | {f2(off['p50_ms'])} | {f2(off['p99_ms'])} |")
    p(f"| ratio on ÷ off | {f2(on['p50_ms'] / off['p50_ms'])} | {f2(on['p99_ms'] / off['p99_ms'])} |")

    lookup = by["product GET by id (indexed D1 lookup)"]
    lookup_big = by["product GET by id, 400 products"]
    p("")
    p("## Search latency")
    p("")
    p("Product search in each mode, over the demo catalogue (40 products) and after generating nine more")
    p("variants of each (400 products), as ratios to a plain indexed D1 lookup (a product by id) in the")
    p("same run:")
    p("")
    p("| mode | catalogue | p50 ms | p99 ms | p50 ÷ lookup | p99 ÷ lookup |")
    p("|---|---:|---:|---:|---:|---:|")
    for size, base_row in (("40", lookup), ("400", lookup_big)):
        for mode in ("fts", "semantic", "hybrid"):
            x = by[f"product search, {mode}, {size} products"]
            p(f"| {mode} | {size} | {f2(x['p50_ms'])} | {f2(x['p99_ms'])} | "
              f"{f2(x['p50_ms'] / base_row['p50_ms'])} | {f2(x['p99_ms'] / base_row['p99_ms'])} |")
    p("")
    p("Semantic and hybrid search embed the query through the AI binding and query the VECTORIZE binding:")
    p("locally the stand-ins (the real e5-small model on 2 shared cores, an exact k-NN scan in a Durable")
    p("Object), in production Workers AI and Vectorize, whose latencies these figures do not predict.")

    # Binding calls, from the workers' Server-Timing header.
    p("")
    p("## Binding calls per request")
    p("")
    p("From the `Server-Timing` header of the worker that answered (`d1;desc=\"2\";dur=3.1, …,")
    p("total;dur=15.2`, `SERVER_TIMING=on`, local configuration only): the calls of each binding kind in")
    p("the last successful answer of the scenario, and the milliseconds spent in bindings and in the")
    p("whole request inside the worker, averaged over all measured answers (the client's p50 beside it")
    p("adds loopback HTTP, wrangler's proxy and queueing behind the other clients). Binding milliseconds")
    p("are summed per call, so calls that overlap can add up to more than the total. A service binding")
    p("call (`svc`) is timed in the calling worker; the calls the worker behind it made (reported by it")
    p("and merged under a prefix, `gw.` for the gateway) are listed under \"behind svc\" and not added")
    p("again to the binding milliseconds, as their time is inside `svc`'s. Timers in workerd advance")
    p("only across I/O, so durations are coarse. n/a: the answer carried no `Server-Timing`.")
    p("")
    p("| scenario | d1 | do | svc | kv | other | behind svc | binding ms | total ms (server) | p50 ms (client) |")
    p("|---|---:|---:|---:|---:|---|---|---:|---:|---:|")
    known = ("d1", "do", "svc", "kv")

    def n(v):
        return "0" if v is None else (f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}")
    for r in rows:
        x = r["result"]
        calls = x.get("binding_calls")
        avg = x.get("server_timing_avg") or {}
        if not x.get("server_timing") or calls is None:
            p(f"| {r['label']} | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | {f2(x['p50_ms'])} |")
            continue
        top = {k: v for k, v in calls.items() if "." not in k and k != "total"}
        other = ", ".join(f"{k} {n(v)}" for k, v in sorted(top.items()) if k not in known)
        nested = {}
        for k, v in sorted(calls.items()):
            if "." in k and not k.endswith(".total"):
                prefix, kind = k.split(".", 1)
                nested.setdefault(prefix, []).append(f"{kind} {n(v)}")
        behind = "; ".join(f"{pre}: {', '.join(v)}" for pre, v in nested.items())
        bind_ms = sum(v.get("dur_ms", 0) for k, v in avg.items() if "." not in k and k != "total")
        total = avg.get("total", {}).get("dur_ms")
        p(f"| {r['label']} | {n(top.get('d1'))} | {n(top.get('do'))} | {n(top.get('svc'))} | "
          f"{n(top.get('kv'))} | {other or '–'} | {behind or '–'} | {f2(bind_ms)} | "
          f"{f2(total) if total is not None else 'n/a'} | {f2(x['p50_ms'])} |")

    p("")
    p("Why each call is there (the counts above, checked by `tests/e2e/tests/budget.rs`):")
    p("")
    p("- **`/health`**: none; the floor is the HTTP path through wrangler and workerd alone.")
    p("- **API-key requests, every route**: one `d1` for the key, looked up by its SHA-256 and joined")
    p("  with its organization's plan (the limits), so the plan costs no second query; one `do`, the")
    p("  caller's rate-limiter Durable Object, which is the only place the count is exact across")
    p("  isolates and locations. Keys are deliberately not cached (in KV or in memory): a revoked key")
    p("  must fail on the very next request (`tests/e2e/tests/load.rs` checks it under traffic).")
    p("- **organization GET**: + one `d1` for the organization row.")
    p("- **product GET by id**: + one `d1` for the row, read with `WHERE id = ? AND organization_id = ?`.")
    p("  For an API key the row's owner is not looked up first (the key can only reach its own")
    p("  organization's rows), which saved one `d1` round trip against the previous version.")
    p("- **search, fts**: + one `d1` for the BM25 ranking (FTS5) and one for the ranked rows. Semantic:")
    p("  one `ai` call for the query's embedding and one `vectorize` query instead of the BM25 `d1`")
    p("  (the stand-ins locally, Workers AI and Vectorize in production). Hybrid: both rankings, fused")
    p("  (RRF) in the worker.")
    p("  The rows are read once for the fused ranking, not per ranking.")
    p("- **MCP tools/call**: two `svc` calls to the gateway, no binding of its own: one verifies the")
    p("  key and counts it against the key's budget (`gw: d1 1, do 1`), one is the REST call the tool")
    p("  maps to. The second names the verified key by id (`X-Api-Key-Id`, honoured only with the")
    p("  internal key), so the gateway does not look the key up again: the gateway's `d1` calls")
    p("  behind an MCP search equal those of the same REST search (one fewer than before).")
    p("- **A2A SendMessage**: one `svc` to verify and count the key, one `svc` per tool the agent")
    p("  calls (the same REST path as MCP, with the key itself, because a task that runs on after")
    p("  its request must stop when the key is revoked), and three `d1` batches in the A2A worker's")
    p("  own database: the task and the user's message written together, the outcome written")
    p("  together, the task read back (task and messages in one batch, previously two reads). The")
    p("  earlier turns of the context are read only when the message continues a context (one")
    p("  read saved for every new conversation).")

    if hotpath:
        ops = json.load(open(hotpath, encoding="utf-8"))["ops"]
        d1 = [x["result"] for x in rows if x["label"] == "organization GET, API key, rate-limited"]
        avg = (d1[0].get("server_timing_avg") or {}).get("d1") if d1 else None
        per_d1 = avg["dur_ms"] / avg["calls"] if avg and avg.get("calls") else None
        p("")
        p("## CPU in our own code")
        p("")
        p("The work a request does in CROW's own code, measured on the host by `crow-hotpath` (the")
        p("same Rust, compiled natively; in the worker it runs as wasm, typically 1.5 to 2× slower):")
        p("time per operation, median of 5 rounds" + (", and as a share of one D1 round trip as the" if per_d1 else "."))
        if per_d1:
            p(f"organization GET scenario of this run measured it ({per_d1:.2f} ms per `d1` call, from")
            p("`Server-Timing`, coarse). Everything but the hashed embedder's k-NN scan (no longer on a request")
            p("path: vectors live in Vectorize, locally the stand-in's) is microseconds: the binding")
            p("round trips are the cost worth cutting.")
        p("")
        p("| operation | µs per operation | ÷ one D1 round trip |")
        p("|---|---:|---:|")
        for o in ops:
            us = o["ns_per_op"] / 1000
            share = f"{us / 1000 / per_d1:.4f}" if per_d1 else "n/a"
            p(f"| {o['label']} | {us:,.2f} | {share} |")

    # Sizes.
    p("")
    p("## Worker sizes")
    p("")
    p("The release build's `workers/<name>/build/index_bg.wasm`, raw and `gzip -9`, and the \"Total")
    p("Upload\" that `wrangler deploy --dry-run --env production` reports for the whole bundle")
    p("(JavaScript glue and wasm; Cloudflare's limits apply to the gzipped size).")
    p("")
    p("| worker | wasm raw | wasm gzipped | total upload (dry run) |")
    p("|---|---:|---:|---|")
    for l in open(sizes, encoding="utf-8"):
        if not l.strip():
            continue
        s = json.loads(l)
        p(f"| {s['worker']} | {s['raw'] / 1024:,.1f} KiB | {s['gzip'] / 1024:,.1f} KiB | {s['upload'] or 'n/a'} |")

    # Start-up.
    by_worker = {}
    for l in open(startups, encoding="utf-8"):
        if l.strip():
            s = json.loads(l)
            by_worker.setdefault(s["worker"], []).append(s)
    if by_worker:
        reps = max(len(v) for v in by_worker.values())
        p("")
        p("## Time from start to first answer")
        p("")
        p(f"Each worker stopped (`scripts/stack.sh stop`) and started again (`scripts/stack.sh start`) {reps}")
        p("times while the other two kept running; the time is from launching `stack.sh start` until the")
        p("worker's `/health` first answers 200 (polled every 20 ms). The build is current, so wrangler's")
        p("build step finds nothing to do; the time is then wrangler's own start-up (Node, bundling the")
        p("worker, starting workerd, compiling the wasm module) plus the first request. It is an upper")
        p("bound of the isolate cold start in production, where no Node or workerd process is started and")
        p("the module is compiled ahead of the request.")
        p("")
        p("| worker | median ms | min ms | max ms |")
        p("|---|---:|---:|---:|")
        for w, v in by_worker.items():
            t = [s["first_answer_ms"] for s in v]
            p(f"| {w} | {statistics.median(t):,.0f} | {min(t):,.0f} | {max(t):,.0f} |")
    p("")
    p("")  # a blank line between the last table and the end marker
    return "\n".join(out)


def splice(path, body):
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        return head + BEGIN + body + END + tail
    # No bench markers yet: put them right after the title (adding the title when missing).
    if text.startswith(TITLE):
        after = text[len(TITLE):].lstrip("\n")
    else:
        after = text
    # The file as written by the bench.sh of before the markers: that text is replaced (up to
    # another section's marker, e.g. the fuzz section's).
    if after.startswith("Written by `scripts/bench.sh`"):
        cut = after.find("<!-- ")
        after = after[cut:] if cut >= 0 else ""
    rest = ("\n" + after) if after else ""
    if rest and not rest.endswith("\n"):
        rest += "\n"
    return TITLE + "\n\n" + BEGIN + body + END + "\n" + rest


def write(results, sizes, startups, seconds, conc, started, hotpath=None):
    body = section(results, sizes, startups, seconds, conc, float(started), hotpath)
    path = "BENCHMARKS.md"
    text = splice(path, body)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "check-mcp":
        check_mcp(*args)
    elif cmd == "check-a2a":
        check_a2a(*args)
    elif cmd == "startup":
        startup(*args)
    elif cmd == "write":
        write(*args)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
