// Black-box checks of a running syncd through the TypeScript client that
// openapi-typescript generates from openapi.yaml (generated/api.d.ts) and
// openapi-fetch. Every request goes through that client; every response is
// also validated against the schema openapi.yaml gives for its status.
//
// usage: node generated/out/src/main.js BASE_URL [WS_BASE_URL]
// env API_CLIENT_AUTH=token: BASE_URL runs with --auth token; only the
// accounts checks run (register, login, tenants, a route with and without
// the token).
//   BASE_URL     the REST server, e.g. http://127.0.0.1:8000
//   WS_BASE_URL  optional: the WebSocket port as http://HOST:PORT, to check
//                GET /api/v1/websocket/health there too
// env OPENAPI_FILE (default: ../../openapi.yaml next to this package).
//
// Prints one line per check and finally "N passed, M failed"; exit 1 on any
// failure.

import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import SwaggerParser from "@apidevtools/swagger-parser";
import { parseYaml } from "@redocly/openapi-core";
import { Ajv } from "ajv";
import createClient from "openapi-fetch";

import type { components, paths } from "../generated/api.js";

type Schemas = components["schemas"];
type SyncQueueEntry = Schemas["SyncQueueEntry"];
type EntryResult = Schemas["EntryResult"];

// ---------------------------------------------------------------- arguments

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, "..", "..", "..");
const openapiFile = process.env.OPENAPI_FILE ?? path.resolve(packageDir, "..", "..", "openapi.yaml");
const baseUrl = (process.argv[2] ?? "").replace(/\/+$/, "");
const wsBaseUrl = (process.argv[3] ?? "").replace(/\/+$/, "");
if (!/^https?:\/\//.test(baseUrl)) {
  console.error("usage: main.js BASE_URL [WS_BASE_URL]   (e.g. http://127.0.0.1:8000)");
  process.exit(2);
}

// ---------------------------------------------------------------- reporting

let passed = 0;
let failed = 0;

function check(name: string, ok: boolean, detail?: unknown): boolean {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    const d = detail === undefined ? "" : `: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`;
    console.log(`FAIL ${name}${d.length > 600 ? d.slice(0, 600) + "…" : d}`);
  }
  return ok;
}

function eq(name: string, actual: unknown, expected: unknown): boolean {
  return check(name, JSON.stringify(actual) === JSON.stringify(expected), `got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
}

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    check(`${name} (no exception)`, false, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  }
}

// ---------------------------------------------------------------- schema validation

// Ajv understands OpenAPI 3.0's `nullable`; `example` etc. need strict off.
const ajv = new Ajv({ strict: false, allErrors: true });
type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
};
let spec: Doc;

function conforms(label: string, route: string, method: string, status: number, body: unknown): void {
  const op = spec.paths[route]?.[method];
  if (!op) {
    check(`${label}: schema for ${method.toUpperCase()} ${route}`, false, "route not in openapi.yaml");
    return;
  }
  const resp = op.responses[String(status)] ?? op.responses["default"];
  const schema = resp?.content?.["application/json"]?.schema;
  if (!resp || !op.responses[String(status)]) {
    check(`${label}: status ${status} documented for ${method.toUpperCase()} ${route}`, false);
  }
  // A JSON answer without a documented schema is a gap in openapi.yaml, not a pass.
  if (!schema) {
    check(`${label}: openapi.yaml documents a JSON schema for ${method.toUpperCase()} ${route} ${status}`, false, `body=${JSON.stringify(body)}`);
    return;
  }
  const validate = ajv.compile(schema);
  const ok = validate(body);
  check(`${label}: body matches openapi.yaml schema (${status})`, ok === true, ajv.errorsText(validate.errors) + ` body=${JSON.stringify(body)}`);
}

// ---------------------------------------------------------------- helpers

const client = createClient<paths>({
  baseUrl,
  fetch: (req: Request) => fetch(req, { signal: AbortSignal.timeout(30_000) }),
});

const HEX32 = /^[0-9a-f]{32}$/;
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const nowS = () => Math.floor(Date.now() / 1000);
const near = (s: unknown, slack = 300) => isInt(s) && Math.abs(s - nowS()) <= slack;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function contentType(res: Response): string {
  return res.headers.get("content-type") ?? "";
}
function isJson(res: Response): boolean {
  return /^application\/json\b/i.test(contentType(res));
}

// Canonical JSON (protocol.md, Checksum): keys sorted by byte value at every
// level, no whitespace, strings escaped only where JSON requires.
function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const keys = Object.keys(v as object).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
}
const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");
const iso = (ms: number) => new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ

function errorCode(body: unknown): unknown {
  return (body as { error?: { code?: unknown } } | undefined)?.error?.code;
}
function checkError(label: string, res: Response, body: unknown, status: number, code?: string): void {
  eq(`${label}: status`, res.status, status);
  check(`${label}: JSON content type`, isJson(res), contentType(res));
  const c = errorCode(body);
  check(`${label}: error.code is a string`, typeof c === "string" && c.length > 0, body);
  check(`${label}: error.message is a string`, typeof (body as { error?: { message?: unknown } })?.error?.message === "string", body);
  if (code !== undefined) eq(`${label}: error.code`, c, code);
}

// ---------------------------------------------------------------- the checks

const rnd = randomBytes(6).toString("hex");
const tenant = `api-client-${rnd}`;
const id = (name: string) => `${name}-${rnd}`;

const base = Date.now() - 120_000; // versions in the recent past
const v1 = base; // acc1's stored version
const vOld = base - 30_000; // an older update of acc1: superseded
const acc1 = id("acc1");
const acc2 = id("acc2");
const acc1Entity = { id: acc1, name: "Checking", accountGroupId: id("grp"), updated_at: iso(v1) };
const acc1Checksum = md5(canonical(acc1Entity));
const staleEntity = { id: acc1, name: "Stale", accountGroupId: id("grp"), updated_at: iso(vOld) };

const entry = (over: Partial<SyncQueueEntry> & Pick<SyncQueueEntry, "id" | "entityId">): SyncQueueEntry => ({
  tenantId: tenant,
  entityType: "Account",
  operationType: "create",
  timestamp: Date.now(),
  status: "pending",
  attempts: 0,
  ...over,
});

let statsBefore: Schemas["QueueStats"] | undefined;

async function submit(label: string, entries: SyncQueueEntry[], waitMs?: number): Promise<EntryResult[] | undefined> {
  const { data, error, response } = await client.POST("/api/v1/sync/entries", {
    params: { query: waitMs === undefined ? {} : { wait_ms: waitMs } },
    body: { entries },
  });
  conforms(label, "/api/v1/sync/entries", "post", response.status, data ?? error);
  if (!check(`${label}: 200`, response.status === 200 && data !== undefined, { status: response.status, error })) return undefined;
  check(`${label}: JSON content type`, isJson(response), contentType(response));
  eq(`${label}: one result per entry`, data!.results.length, entries.length);
  return data!.results;
}

async function waitForServer(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await client.GET("/health");
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

async function main(): Promise<void> {
  spec = (await SwaggerParser.dereference(openapiFile)) as unknown as Doc;
  console.log(`# syncd API client checks against ${baseUrl} (tenant ${tenant})`);
  try {
    await waitForServer();
  } catch (err) {
    check(`server reachable at ${baseUrl}`, false, String(err));
    return;
  }

  await step("GET /health", async () => {
    const { data, error, response } = await client.GET("/health");
    conforms("GET /health", "/health", "get", response.status, data ?? error);
    eq("GET /health: 200", response.status, 200);
    check("GET /health: JSON content type", isJson(response), contentType(response));
    eq("GET /health: status ok", data?.status, "ok");
    eq("GET /health: database ok", data?.database, "ok");
    eq("GET /health: websocket up", data?.websocket, "up");
    eq("GET /health: http up", data?.http, "up");
    check("GET /health: uptime_s integer >= 0", isInt(data?.uptime_s) && data!.uptime_s >= 0, data);
    check("GET /health: version non-empty", typeof data?.version === "string" && data.version.length > 0, data);
  });

  await step("GET /api/v1/websocket/health", async () => {
    const targets: [string, typeof client][] = [["http port", client]];
    if (wsBaseUrl) targets.push(["ws port", createClient<paths>({ baseUrl: wsBaseUrl })]);
    for (const [where, c] of targets) {
      const label = `GET /api/v1/websocket/health (${where})`;
      const { data, error, response } = await c.GET("/api/v1/websocket/health");
      conforms(label, "/api/v1/websocket/health", "get", response.status, data ?? error);
      eq(`${label}: 200`, response.status, 200);
      eq(`${label}: status ok`, data?.status, "ok");
    }
  });

  await step("GET /openapi.yaml", async () => {
    const { data, response } = await client.GET("/openapi.yaml", { parseAs: "text" });
    eq("GET /openapi.yaml: 200", response.status, 200);
    check("GET /openapi.yaml: YAML content type", /yaml/i.test(contentType(response)), contentType(response));
    const served = parseYaml(String(data ?? "")) as Record<string, unknown>;
    const local = parseYaml(readFileSync(openapiFile, "utf8")) as Record<string, unknown>;
    check("GET /openapi.yaml: is an OpenAPI 3 document", typeof served?.openapi === "string" && String(served.openapi).startsWith("3."), String(data).slice(0, 80));
    check("GET /openapi.yaml: same document as the repository's openapi.yaml", canonical(served) === canonical(local));
  });

  await step("GET /api/v1/queue/stats (before)", async () => {
    const { data, error, response } = await client.GET("/api/v1/queue/stats");
    conforms("GET /api/v1/queue/stats", "/api/v1/queue/stats", "get", response.status, data ?? error);
    eq("GET /api/v1/queue/stats: 200", response.status, 200);
    statsBefore = data;
  });

  // An endless text/event-stream: read the first event only, then cancel.
  await step("GET /api/v1/events (first event)", async () => {
    const label = "GET /api/v1/events";
    const { data, response } = await client.GET("/api/v1/events", { parseAs: "stream" });
    eq(`${label}: 200`, response.status, 200);
    check(`${label}: text/event-stream`, /^text\/event-stream\b/i.test(contentType(response)), contentType(response));
    eq(`${label}: Cache-Control`, response.headers.get("cache-control"), "no-cache");
    const reader = (data as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      const deadline = Date.now() + 10_000;
      while (!text.includes("\n\n") && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    const block = text.slice(0, text.indexOf("\n\n"));
    const lines = block.split("\n");
    check(`${label}: an overview event`, lines.includes("event: overview"), block.slice(0, 200));
    const dataLines = lines.filter((l) => l.startsWith("data: "));
    eq(`${label}: one data line`, dataLines.length, 1);
    const overview: unknown = JSON.parse(dataLines[0]?.slice(6) ?? "null");
    conforms(`${label} (data)`, "/api/v1/overview", "get", 200, overview);
  });

  await step("GET /api/v1/sync/status (new tenant)", async () => {
    const { data, error, response } = await client.GET("/api/v1/sync/status/{tenant_id}", { params: { path: { tenant_id: tenant } } });
    const label = "GET /api/v1/sync/status (new tenant)";
    conforms(label, "/api/v1/sync/status/{tenant_id}", "get", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    eq(`${label}: tenant_id`, data?.tenant_id, tenant);
    eq(`${label}: all zero`, [data?.queue_length, data?.pending, data?.in_flight, data?.retry_wait, data?.dead, data?.failed_entries_count, data?.last_sync_time, data?.oldest_pending_age_ms], [0, 0, 0, 0, 0, 0, 0, 0]);
    eq(`${label}: sync_in_progress false`, data?.sync_in_progress, false);
    check(`${label}: server_time is now in epoch seconds`, near(data?.server_time), data?.server_time);
  });

  // --- create acc1 ---------------------------------------------------------
  const e1 = entry({ id: id("e1"), entityId: acc1, payload: { ...acc1Entity }, timestamp: v1 });
  await step("POST /api/v1/sync/entries (create Account)", async () => {
    const label = "POST /api/v1/sync/entries (create Account)";
    const r = (await submit(label, [e1]))?.[0];
    if (!r) return;
    eq(`${label}: id`, r.id, e1.id);
    eq(`${label}: status processed`, r.status, "processed");
    eq(`${label}: outcome applied`, r.outcome, "applied");
    check(`${label}: checksum is 32 hex`, HEX32.test(r.checksum ?? ""), r.checksum);
    eq(`${label}: checksum = md5(canonical stored entity)`, r.checksum, acc1Checksum);
    check(`${label}: not a duplicate`, r.duplicate !== true, r);
  });

  await step("POST /api/v1/sync/entries (same id again)", async () => {
    const label = "POST /api/v1/sync/entries (same id again)";
    const r = (await submit(label, [e1]))?.[0];
    if (!r) return;
    eq(`${label}: status processed`, r.status, "processed");
    eq(`${label}: outcome applied`, r.outcome, "applied");
    eq(`${label}: duplicate true`, r.duplicate, true);
    eq(`${label}: same checksum`, r.checksum, acc1Checksum);
  });

  await step("GET /api/v1/sync/entries/{tenant_id}/{entry_id}", async () => {
    const label = "GET /api/v1/sync/entries/{tenant}/{e1}";
    const { data, error, response } = await client.GET("/api/v1/sync/entries/{tenant_id}/{entry_id}", {
      params: { path: { tenant_id: tenant, entry_id: e1.id } },
    });
    conforms(label, "/api/v1/sync/entries/{tenant_id}/{entry_id}", "get", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    eq(`${label}: tenant_id`, data?.tenant_id, tenant);
    eq(`${label}: entry_id`, data?.entry_id, e1.id);
    eq(`${label}: state done`, data?.state, "done");
    check(`${label}: attempts >= 1`, isInt(data?.attempts) && data!.attempts >= 1, data?.attempts);
    eq(`${label}: last_error null`, data?.last_error, null);
    check(`${label}: received_at_ms is recent epoch ms`, isInt(data?.received_at_ms) && Math.abs(data!.received_at_ms - Date.now()) < 300_000, data?.received_at_ms);
    check(`${label}: finished_at_ms >= received_at_ms`, isInt(data?.finished_at_ms) && data!.finished_at_ms >= (data?.received_at_ms ?? 0), data);
    eq(`${label}: next_attempt_at_ms null`, data?.next_attempt_at_ms, null);
    eq(`${label}: result.status processed`, data?.result?.status, "processed");
    eq(`${label}: result.outcome applied`, data?.result?.outcome, "applied");
    eq(`${label}: result.checksum`, data?.result?.checksum, acc1Checksum);
    check(`${label}: result.server_timestamp epoch ms`, isInt(data?.result?.server_timestamp) && Math.abs(data!.result!.server_timestamp - Date.now()) < 300_000, data?.result);
  });

  await step("GET /api/v1/sync/entries (unknown id)", async () => {
    const label = "GET /api/v1/sync/entries/{tenant}/{unknown}";
    const { data, error, response } = await client.GET("/api/v1/sync/entries/{tenant_id}/{entry_id}", {
      params: { path: { tenant_id: tenant, entry_id: id("no-such-entry") } },
    });
    conforms(label, "/api/v1/sync/entries/{tenant_id}/{entry_id}", "get", response.status, data ?? error);
    checkError(label, response, error, 404, "not_found");
  });

  await step("GET /api/v1/sync/data-status (Account)", async () => {
    const label = "GET /api/v1/sync/data-status?entity_types=Account";
    const { data, error, response } = await client.GET("/api/v1/sync/data-status/{tenant_id}", {
      params: { path: { tenant_id: tenant }, query: { entity_types: "Account" } },
    });
    conforms(label, "/api/v1/sync/data-status/{tenant_id}", "get", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    eq(`${label}: tenant_id`, data?.tenant_id, tenant);
    eq(`${label}: only the requested type`, Object.keys(data?.entity_checksums ?? {}), ["Account"]);
    const mine = data?.entity_checksums?.["Account"]?.find((c) => c.entity_id === acc1);
    eq(`${label}: lists acc1 with the ACK's checksum`, mine?.checksum, acc1Checksum);
    eq(`${label}: last_modified = version in epoch seconds`, mine?.last_modified, Math.floor(v1 / 1000));
    check(`${label}: last_sync_time is recent epoch seconds`, near(data?.last_sync_time), data?.last_sync_time);
    check(`${label}: server_time is now`, near(data?.server_time), data?.server_time);
  });

  await step("GET /api/v1/sync/data-status (all types)", async () => {
    const label = "GET /api/v1/sync/data-status (all types)";
    const { data, error, response } = await client.GET("/api/v1/sync/data-status/{tenant_id}", { params: { path: { tenant_id: tenant } } });
    conforms(label, "/api/v1/sync/data-status/{tenant_id}", "get", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    eq(
      `${label}: nine entity types`,
      Object.keys(data?.entity_checksums ?? {}).sort(),
      ["Account", "AccountGroup", "AutomationRule", "Category", "CategoryGroup", "PlanningTransaction", "Recipient", "Tag", "Transaction"],
    );
  });

  // --- acc2, then compare checksums ----------------------------------------
  await step("POST /api/v1/sync/entries (second Account)", async () => {
    const label = "POST /api/v1/sync/entries (second Account)";
    const r = (await submit(label, [entry({ id: id("e2"), entityId: acc2, payload: { name: "Savings", accountGroupId: id("grp") }, timestamp: v1 })]))?.[0];
    eq(`${label}: outcome applied`, r?.outcome, "applied");
  });

  await step("POST /api/v1/sync/detect-conflicts", async () => {
    const label = "POST /api/v1/sync/detect-conflicts";
    const localOnly = id("acc-local-only");
    const { data, error, response } = await client.POST("/api/v1/sync/detect-conflicts", {
      body: {
        tenant_id: tenant,
        client_checksums: {
          Account: [
            { entity_id: acc1, checksum: "0".repeat(32), last_modified: Math.floor(v1 / 1000) - 5 },
            { entity_id: localOnly, checksum: "1".repeat(32) },
          ],
        },
      },
    });
    conforms(label, "/api/v1/sync/detect-conflicts", "post", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    const c = data?.conflicts.find((x) => x.entity_id === acc1);
    check(`${label}: acc1 is a conflict`, c !== undefined, data);
    eq(`${label}: conflict entity_type`, c?.entity_type, "Account");
    eq(`${label}: conflict local_checksum`, c?.local_checksum, "0".repeat(32));
    eq(`${label}: conflict server_checksum`, c?.server_checksum, acc1Checksum);
    eq(`${label}: conflict local_last_modified`, c?.local_last_modified, Math.floor(v1 / 1000) - 5);
    eq(`${label}: conflict server_last_modified`, c?.server_last_modified, Math.floor(v1 / 1000));
    check(`${label}: local_only lists the unknown entity`, !!data?.local_only.some((x) => x.entity_id === localOnly && x.entity_type === "Account"), data?.local_only);
    check(`${label}: server_only lists acc2`, !!data?.server_only.some((x) => x.entity_id === acc2 && x.entity_type === "Account"), data?.server_only);
    eq(`${label}: exactly one conflict`, data?.conflicts.length, 1);
  });

  await step("POST /api/v1/sync/detect-conflicts (matching checksum)", async () => {
    const label = "POST /api/v1/sync/detect-conflicts (matching)";
    const { data, error, response } = await client.POST("/api/v1/sync/detect-conflicts", {
      body: { tenant_id: tenant, client_checksums: { Account: [{ entity_id: acc1, checksum: acc1Checksum }] } },
    });
    conforms(label, "/api/v1/sync/detect-conflicts", "post", response.status, data ?? error);
    eq(`${label}: no conflict`, data?.conflicts, []);
    eq(`${label}: no local_only`, data?.local_only, []);
  });

  // --- an older update: superseded, recorded as a conflict ------------------
  const eOld = entry({ id: id("e-old"), entityId: acc1, operationType: "update", payload: { ...staleEntity }, timestamp: vOld });
  await step("POST /api/v1/sync/entries (older update)", async () => {
    const label = "POST /api/v1/sync/entries (older update)";
    const r = (await submit(label, [eOld]))?.[0];
    eq(`${label}: status processed`, r?.status, "processed");
    eq(`${label}: outcome superseded`, r?.outcome, "superseded");
    if (r?.checksum !== undefined) eq(`${label}: checksum is the stored entity's`, r.checksum, acc1Checksum);
  });

  await step("GET /api/v1/sync/conflicts", async () => {
    const label = "GET /api/v1/sync/conflicts?limit=10";
    const { data, error, response } = await client.GET("/api/v1/sync/conflicts/{tenant_id}", {
      params: { path: { tenant_id: tenant }, query: { limit: 10 } },
    });
    conforms(label, "/api/v1/sync/conflicts/{tenant_id}", "get", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    eq(`${label}: tenant_id`, data?.tenant_id, tenant);
    eq(`${label}: one conflict`, data?.conflicts.length, 1);
    const c = data?.conflicts[0];
    eq(`${label}: entry_id`, c?.entry_id, eOld.id);
    eq(`${label}: entity`, [c?.entity_type, c?.entity_id], ["Account", acc1]);
    eq(`${label}: resolution server_wins`, c?.resolution, "server_wins");
    eq(`${label}: incoming_version (epoch ms)`, c?.incoming_version, vOld);
    eq(`${label}: stored_version (epoch ms)`, c?.stored_version, v1);
    eq(`${label}: stored_checksum`, c?.stored_checksum, acc1Checksum);
    eq(`${label}: incoming_checksum`, c?.incoming_checksum, md5(canonical(staleEntity)));
    check(`${label}: detected_at is now in epoch seconds`, near(c?.detected_at), c?.detected_at);
    check(`${label}: last_check is now in epoch seconds`, near(data?.last_check), data?.last_check);
  });

  // --- invalid entries in a batch with a valid one --------------------------
  await step("POST /api/v1/sync/entries (mixed batch)", async () => {
    const label = "POST /api/v1/sync/entries (mixed batch)";
    const bad = entry({ id: id("e-bad"), entityId: id("acc3"), payload: { name: "No group" } });
    const unreadable = 42 as unknown as SyncQueueEntry;
    const cat = entry({ id: id("e-cat"), entityType: "category", entityId: id("cat1"), payload: { name: "Food" } });
    const rs = await submit(label, [bad, unreadable, cat]);
    if (!rs) return;
    eq(`${label}: [0] id`, rs[0]?.id, bad.id);
    eq(`${label}: [0] failed validation_error`, [rs[0]?.status, rs[0]?.reason], ["failed", "validation_error"]);
    eq(`${label}: [0] is_permanent`, rs[0]?.is_permanent, true);
    check(`${label}: [0] detail names accountGroupId`, /accountGroupId/.test(rs[0]?.detail ?? ""), rs[0]);
    check(`${label}: [1] unreadable entry has no id`, rs[1]?.id === null || rs[1]?.id === undefined, rs[1]);
    eq(`${label}: [1] failed validation_error`, [rs[1]?.status, rs[1]?.reason], ["failed", "validation_error"]);
    eq(`${label}: [2] valid entry (lower-case type) applied`, [rs[2]?.id, rs[2]?.status, rs[2]?.outcome], [cat.id, "processed", "applied"]);
  });

  // --- delete acc2: tombstone ----------------------------------------------
  await step("POST /api/v1/sync/entries (delete)", async () => {
    const label = "POST /api/v1/sync/entries (delete)";
    const r = (await submit(label, [entry({ id: id("e-del"), entityId: acc2, operationType: "delete", payload: null, timestamp: v1 + 1000 })]))?.[0];
    eq(`${label}: applied`, [r?.status, r?.outcome], ["processed", "applied"]);
    eq(`${label}: no checksum after a delete`, r?.checksum, undefined);

    const ds = await client.GET("/api/v1/sync/data-status/{tenant_id}", { params: { path: { tenant_id: tenant }, query: { entity_types: "Account,Tag" } } });
    conforms("GET /api/v1/sync/data-status (after delete)", "/api/v1/sync/data-status/{tenant_id}", "get", ds.response.status, ds.data ?? ds.error);
    eq("GET /api/v1/sync/data-status (after delete): keys", Object.keys(ds.data?.entity_checksums ?? {}).sort(), ["Account", "Tag"]);
    check("GET /api/v1/sync/data-status (after delete): acc2 in deleted_entities", !!ds.data?.deleted_entities?.["Account"]?.includes(acc2), ds.data?.deleted_entities);
    check("GET /api/v1/sync/data-status (after delete): acc2 not in entity_checksums", !ds.data?.entity_checksums?.["Account"]?.some((c) => c.entity_id === acc2), ds.data?.entity_checksums);
  });

  // --- wait_ms=0, then poll the entry --------------------------------------
  await step("POST /api/v1/sync/entries?wait_ms=0", async () => {
    const label = "POST /api/v1/sync/entries?wait_ms=0";
    const e = entry({ id: id("e-tag"), entityType: "Tag", entityId: id("tag1"), payload: { name: "urgent" } });
    const r = (await submit(label, [e], 0))?.[0];
    check(`${label}: pending or processed`, r?.status === "pending" || r?.status === "processed", r);
    let state: string | undefined;
    let result: Schemas["StoredResult"] | undefined;
    for (let i = 0; i < 100; i++) {
      const g = await client.GET("/api/v1/sync/entries/{tenant_id}/{entry_id}", { params: { path: { tenant_id: tenant, entry_id: e.id } } });
      state = g.data?.state;
      result = g.data?.result;
      if (state === "done" || state === "dead") {
        conforms(`GET entry ${e.id}`, "/api/v1/sync/entries/{tenant_id}/{entry_id}", "get", g.response.status, g.data);
        break;
      }
      await sleep(50);
    }
    eq(`${label}: entry reaches done`, state, "done");
    eq(`${label}: result applied`, [result?.status, result?.outcome], ["processed", "applied"]);
  });

  // --- tenant status after everything finished ------------------------------
  await step("GET /api/v1/sync/status (after)", async () => {
    const label = "GET /api/v1/sync/status (after)";
    const { data, error, response } = await client.GET("/api/v1/sync/status/{tenant_id}", { params: { path: { tenant_id: tenant } } });
    conforms(label, "/api/v1/sync/status/{tenant_id}", "get", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    eq(`${label}: nothing unfinished`, [data?.queue_length, data?.pending, data?.in_flight, data?.retry_wait, data?.dead], [0, 0, 0, 0, 0]);
    eq(`${label}: sync_in_progress false`, data?.sync_in_progress, false);
    eq(`${label}: oldest_pending_age_ms 0`, data?.oldest_pending_age_ms, 0);
    check(`${label}: last_sync_time is recent epoch seconds`, near(data?.last_sync_time), data?.last_sync_time);
    check(`${label}: failed_entries_count integer`, isInt(data?.failed_entries_count), data?.failed_entries_count);
  });

  await step("GET /api/v1/queue/stats (after)", async () => {
    const label = "GET /api/v1/queue/stats (after)";
    const { data, error, response } = await client.GET("/api/v1/queue/stats");
    conforms(label, "/api/v1/queue/stats", "get", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    if (!data || !statsBefore) return;
    const d = (k: keyof Schemas["QueueStats"]["totals"]) => data.totals[k] - statsBefore!.totals[k];
    check(`${label}: totals.received grew by >= 6`, d("received") >= 6, { before: statsBefore.totals, after: data.totals });
    check(`${label}: totals.applied grew by >= 5`, d("applied") >= 5, { before: statsBefore.totals, after: data.totals });
    check(`${label}: totals.superseded grew by >= 1`, d("superseded") >= 1, { before: statsBefore.totals, after: data.totals });
    check(`${label}: totals.duplicates grew by >= 1`, d("duplicates") >= 1, { before: statsBefore.totals, after: data.totals });
    check(`${label}: totals.nacked grew by >= 1`, d("nacked") >= 1, { before: statsBefore.totals, after: data.totals });
    check(`${label}: batches.count > 0`, data.batches.count > 0, data.batches);
    check(`${label}: batches.max_size >= 1`, data.batches.max_size >= 1, data.batches);
    check(`${label}: rates.received_per_s > 0`, data.rates.received_per_s > 0, data.rates);
    check(`${label}: uptime_s >= before`, data.uptime_s >= statsBefore.uptime_s, [statsBefore.uptime_s, data.uptime_s]);
  });

  await step("GET /metrics", async () => {
    const { data, response } = await client.GET("/metrics", { parseAs: "text" });
    eq("GET /metrics: 200", response.status, 200);
    check("GET /metrics: text/plain", /^text\/plain\b/i.test(contentType(response)), contentType(response));
    const text = String(data ?? "");
    check("GET /metrics: contains syncd_ metrics", /^syncd_[a-zA-Z0-9_:]*(\{[^}]*\})? ([-+0-9.eE]+|NaN|[+-]?Inf)( \d+)?$/m.test(text), text.slice(0, 200));
    const bad = text.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+( \d+)?$/.test(l));
    check("GET /metrics: every sample line is well-formed", bad.length === 0, bad.slice(0, 3));
  });

  // --- operator acknowledge -------------------------------------------------
  await step("POST /api/v1/sync/acknowledge (done entry)", async () => {
    const label = "POST /api/v1/sync/acknowledge (entry not dead)";
    const { data, error, response } = await client.POST("/api/v1/sync/acknowledge", {
      body: { tenant_id: tenant, entry_id: e1.id, action: "ack" },
    });
    conforms(label, "/api/v1/sync/acknowledge", "post", response.status, data ?? error);
    checkError(label, response, error, 409, "conflict");
  });

  await step("POST /api/v1/sync/acknowledge (unknown entry)", async () => {
    const label = "POST /api/v1/sync/acknowledge (unknown entry)";
    const { data, error, response } = await client.POST("/api/v1/sync/acknowledge", {
      body: { tenant_id: tenant, entry_id: id("no-such-entry"), action: "retry" },
    });
    conforms(label, "/api/v1/sync/acknowledge", "post", response.status, data ?? error);
    checkError(label, response, error, 404, "not_found");
  });

  await step("POST /api/v1/sync/acknowledge (bad action)", async () => {
    const label = "POST /api/v1/sync/acknowledge (bad action)";
    const { data, error, response } = await client.POST("/api/v1/sync/acknowledge", {
      body: { tenant_id: tenant, entry_id: e1.id, action: "explode" as "ack" },
    });
    conforms(label, "/api/v1/sync/acknowledge", "post", response.status, data ?? error);
    checkError(label, response, error, 400, "validation_error");
  });

  // --- request errors ------------------------------------------------------
  await step("POST /api/v1/sync/entries (bad JSON)", async () => {
    const label = "POST /api/v1/sync/entries (bad JSON)";
    const { data, error, response } = await client.POST("/api/v1/sync/entries", {
      body: { entries: [] },
      bodySerializer: () => '{"entries":[',
    });
    conforms(label, "/api/v1/sync/entries", "post", response.status, data ?? error);
    checkError(label, response, error, 400, "invalid_json");
  });

  await step("POST /api/v1/sync/entries (entries not an array)", async () => {
    const label = "POST /api/v1/sync/entries (entries not an array)";
    const { data, error, response } = await client.POST("/api/v1/sync/entries", {
      body: { entries: 5 as unknown as SyncQueueEntry[] },
    });
    conforms(label, "/api/v1/sync/entries", "post", response.status, data ?? error);
    checkError(label, response, error, 400, "validation_error");
  });

  await step("POST /api/v1/sync/entries (1001 entries)", async () => {
    const label = "POST /api/v1/sync/entries (1001 entries)";
    const many = Array.from({ length: 1001 }, (_, i) => entry({ id: id(`e-many-${i}`), entityType: "Tag", entityId: id(`tag-many-${i}`), payload: { name: "t" } }));
    const { data, error, response } = await client.POST("/api/v1/sync/entries", { body: { entries: many } });
    conforms(label, "/api/v1/sync/entries", "post", response.status, data ?? error);
    checkError(label, response, error, 400, "validation_error");
  });

  await step("POST /api/v1/sync/entries (wait_ms out of range)", async () => {
    const label = "POST /api/v1/sync/entries?wait_ms=-1";
    const { data, error, response } = await client.POST("/api/v1/sync/entries", { params: { query: { wait_ms: -1 } }, body: { entries: [] } });
    conforms(label, "/api/v1/sync/entries", "post", response.status, data ?? error);
    checkError(label, response, error, 400, "validation_error");
  });

  await step("POST /api/v1/sync/entries (empty list)", async () => {
    const label = "POST /api/v1/sync/entries (empty list)";
    const rs = await submit(label, []);
    eq(`${label}: no results`, rs, []);
  });

  await step("POST /api/v1/sync/entries (not JSON)", async () => {
    const label = "POST /api/v1/sync/entries (text/plain)";
    const { data, error, response } = await client.POST("/api/v1/sync/entries", {
      body: { entries: [] },
      bodySerializer: () => "entries=none",
      headers: { "Content-Type": "text/plain" },
    });
    conforms(label, "/api/v1/sync/entries", "post", response.status, data ?? error);
    checkError(label, response, error, 415, "unsupported_media_type");
  });

  await step("POST /api/v1/sync/entries (body too large)", async () => {
    const label = "POST /api/v1/sync/entries (1.5 MiB body)";
    const big = entry({ id: id("e-big"), entityType: "Tag", entityId: id("tag-big"), payload: { name: "x".repeat(1_536 * 1024) } });
    const { data, error, response } = await client.POST("/api/v1/sync/entries", { body: { entries: [big] } });
    conforms(label, "/api/v1/sync/entries", "post", response.status, data ?? error);
    checkError(label, response, error, 413, "too_large");
  });

  await step("POST /api/v1/sync/detect-conflicts (missing field)", async () => {
    const label = "POST /api/v1/sync/detect-conflicts (no client_checksums)";
    const { data, error, response } = await client.POST("/api/v1/sync/detect-conflicts", {
      body: { tenant_id: tenant } as Schemas["DetectConflictsRequest"],
    });
    conforms(label, "/api/v1/sync/detect-conflicts", "post", response.status, data ?? error);
    checkError(label, response, error, 400, "validation_error");
  });

  await step("GET /api/v1/sync/data-status (unknown type)", async () => {
    const label = "GET /api/v1/sync/data-status?entity_types=Bogus";
    const { data, error, response } = await client.GET("/api/v1/sync/data-status/{tenant_id}", {
      params: { path: { tenant_id: tenant }, query: { entity_types: "Bogus" } },
    });
    conforms(label, "/api/v1/sync/data-status/{tenant_id}", "get", response.status, data ?? error);
    checkError(label, response, error, 400, "validation_error");
  });

  await step("GET /api/v1/sync/conflicts (limit=0)", async () => {
    const label = "GET /api/v1/sync/conflicts?limit=0";
    const { data, error, response } = await client.GET("/api/v1/sync/conflicts/{tenant_id}", {
      params: { path: { tenant_id: tenant }, query: { limit: 0 } },
    });
    conforms(label, "/api/v1/sync/conflicts/{tenant_id}", "get", response.status, data ?? error);
    checkError(label, response, error, 400, "validation_error");
  });

  await step("GET unknown route", async () => {
    const label = "GET /api/v1/no-such-route";
    // Deliberately outside the generated types: the same client, a path it does not know.
    const anyClient = client as unknown as {
      GET: (p: string, o?: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
    };
    const { error, response } = await anyClient.GET("/api/v1/no-such-route");
    checkError(label, response, error, 404, "not_found");
  });
}

// ---------------------------------------------------------------- accounts

// accounts.md: register → login → create tenant → list tenants → a route
// that names the tenant, with and without the token. `token` is true when
// BASE_URL runs with --auth token (API_CLIENT_AUTH=token): then the route
// must refuse the request without a token (401) and accept it with one.
async function accounts(token: boolean): Promise<void> {
  const mode = token ? "token" : "none";
  const email = `user-${rnd}@example.org`;
  const password = `pw-${rnd}-long`;
  const accountTenant = `tenant-${mode}-${rnd}`;
  let access = "";
  let refresh = "";
  let userId = "";
  const bearer = () => ({ Authorization: `Bearer ${access}` });

  await step(`GET /ping (${mode})`, async () => {
    const { data, error, response } = await client.GET("/ping");
    conforms("GET /ping", "/ping", "get", response.status, data ?? error);
    eq("GET /ping: pong", data, { status: "ok", message: "pong" });
  });

  await step(`POST /register (${mode})`, async () => {
    const label = `POST /register (${mode})`;
    const { data, error, response } = await client.POST("/register", { body: { name: `User ${rnd}`, email, password } });
    conforms(label, "/register", "post", response.status, data ?? error);
    eq(`${label}: 201`, response.status, 201);
    eq(`${label}: email`, data?.email, email);
    check(`${label}: no password in the answer`, !JSON.stringify(data ?? {}).includes(password));
    userId = data?.uuid ?? "";
    const again = await client.POST("/register", { body: { name: "Again", email: email.toUpperCase(), password } });
    conforms(`${label} (same email)`, "/register", "post", again.response.status, again.data ?? again.error);
    checkError(`${label} (same email)`, again.response, again.error, 409, "email_taken");
  });

  await step(`POST /login (${mode})`, async () => {
    const label = `POST /login (${mode})`;
    const bad = await client.POST("/login", { body: { username_or_email: email, password: "wrong-password" } });
    conforms(`${label} (wrong password)`, "/login", "post", bad.response.status, bad.data ?? bad.error);
    checkError(`${label} (wrong password)`, bad.response, bad.error, 401, "invalid_credentials");
    const { data, error, response } = await client.POST("/login", { body: { username_or_email: email, password } });
    conforms(label, "/login", "post", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    eq(`${label}: uuid`, data?.uuid, userId);
    access = data?.accessToken ?? "";
    refresh = data?.refreshToken ?? "";
    check(`${label}: a JWT access token`, access.split(".").length === 3, access.slice(0, 20));
  });

  await step(`POST /token/refresh (${mode})`, async () => {
    const label = `POST /token/refresh (${mode})`;
    const { data, error, response } = await client.POST("/token/refresh", { body: { refreshToken: refresh } });
    conforms(label, "/token/refresh", "post", response.status, data ?? error);
    eq(`${label}: 200`, response.status, 200);
    const old = refresh;
    access = data?.accessToken ?? access;
    refresh = data?.refreshToken ?? refresh;
    const reused = await client.POST("/token/refresh", { body: { refreshToken: old } });
    conforms(`${label} (reused)`, "/token/refresh", "post", reused.response.status, reused.data ?? reused.error);
    checkError(`${label} (reused)`, reused.response, reused.error, 401, "unauthorized");
    access = (await client.POST("/login", { body: { username_or_email: email, password } })).data?.accessToken ?? access;
  });

  await step(`GET /users/me (${mode})`, async () => {
    const label = `GET /users/me (${mode})`;
    const { data, error, response } = await client.GET("/users/me", { headers: bearer() });
    conforms(label, "/users/me", "get", response.status, data ?? error);
    eq(`${label}: uuid`, data?.uuid, userId);
    const none = await client.GET("/users/me");
    checkError(`${label} (no token)`, none.response, none.error, 401, "unauthorized");
  });

  await step(`POST /tenants/ (${mode})`, async () => {
    const label = `POST /tenants/ (${mode})`;
    const body = { uuid: accountTenant, name: "Home", user_id: userId };
    const { data, error, response } = await client.POST("/tenants", { body, headers: bearer() });
    conforms(label, "/tenants", "post", response.status, data ?? error);
    eq(`${label}: 201`, response.status, 201);
    eq(`${label}: owner`, data?.user_id, userId);
    const again = await client.POST("/tenants", { body, headers: bearer() });
    conforms(`${label} (again)`, "/tenants", "post", again.response.status, again.data ?? again.error);
    eq(`${label} (again): 200`, again.response.status, 200);
  });

  await step(`GET /tenants?user_id= (${mode})`, async () => {
    const label = `GET /tenants (${mode})`;
    const { data, error, response } = await client.GET("/tenants", { params: { query: { user_id: userId } }, headers: bearer() });
    conforms(label, "/tenants", "get", response.status, data ?? error);
    eq(`${label}: the one tenant`, (data ?? []).map((t) => t.uuid), [accountTenant]);
  });

  await step(`GET /api/v1/sync/status with and without the token (${mode})`, async () => {
    const label = `GET /api/v1/sync/status (${mode})`;
    const path = { tenant_id: accountTenant };
    const without = await client.GET("/api/v1/sync/status/{tenant_id}", { params: { path } });
    if (token) {
      conforms(`${label} (no token)`, "/api/v1/sync/status/{tenant_id}", "get", without.response.status, without.error);
      checkError(`${label} (no token)`, without.response, without.error, 401, "unauthorized");
      eq(`${label} (no token): WWW-Authenticate`, without.response.headers.get("www-authenticate"), "Bearer");
    } else {
      eq(`${label} (no token, none mode): 200`, without.response.status, 200);
    }
    const { data, error, response } = await client.GET("/api/v1/sync/status/{tenant_id}", { params: { path }, headers: bearer() });
    conforms(label, "/api/v1/sync/status/{tenant_id}", "get", response.status, data ?? error);
    eq(`${label}: 200 with the token`, response.status, 200);
    if (token) {
      const other = await client.GET("/api/v1/sync/status/{tenant_id}", { params: { path: { tenant_id: `someone-elses-${rnd}` } }, headers: bearer() });
      conforms(`${label} (other tenant)`, "/api/v1/sync/status/{tenant_id}", "get", other.response.status, other.error);
      checkError(`${label} (other tenant)`, other.response, other.error, 403, "forbidden");
      const stats = await client.GET("/api/v1/queue/stats", { headers: bearer() });
      checkError(`GET /api/v1/queue/stats (user token)`, stats.response, stats.error, 403, "forbidden");
    }
  });

  await step(`PUT /tenants/{uuid}, reset, DELETE (${mode})`, async () => {
    const label = `tenant lifecycle (${mode})`;
    const path = { uuid: accountTenant };
    const renamed = await client.PUT("/tenants/{uuid}", { params: { path, query: { user_id: userId } }, body: { name: "Renamed" }, headers: bearer() });
    conforms(`${label}: rename`, "/tenants/{uuid}", "put", renamed.response.status, renamed.data ?? renamed.error);
    eq(`${label}: renamed`, renamed.data?.name, "Renamed");
    const reset = await client.POST("/tenants/{uuid}/reset-database", { params: { path, query: { user_id: userId } }, headers: bearer() });
    conforms(`${label}: reset`, "/tenants/{uuid}/reset-database", "post", reset.response.status, reset.data ?? reset.error);
    eq(`${label}: reset 200`, reset.response.status, 200);
    const del = await client.DELETE("/tenants/{uuid}/complete", { params: { path, query: { user_id: userId } }, headers: bearer() });
    conforms(`${label}: delete`, "/tenants/{uuid}/complete", "delete", del.response.status, del.data ?? del.error);
    eq(`${label}: delete 200`, del.response.status, 200);
    const { data } = await client.GET("/tenants", { params: { query: { user_id: userId } }, headers: bearer() });
    eq(`${label}: gone`, data, []);
  });

  await step(`POST /logout (${mode})`, async () => {
    const { response } = await client.POST("/logout", { body: { refreshToken: refresh } });
    eq(`POST /logout (${mode}): 204`, response.status, 204);
    const after = await client.POST("/token/refresh", { body: { refreshToken: refresh } });
    checkError(`POST /token/refresh after logout (${mode})`, after.response, after.error, 401, "unauthorized");
  });
}

async function run(): Promise<void> {
  if (process.env.API_CLIENT_AUTH === "token") {
    spec = (await SwaggerParser.dereference(openapiFile)) as unknown as Doc;
    console.log(`# syncd API client checks against a token-mode syncd at ${baseUrl}`);
    await waitForServer();
    await accounts(true);
    return;
  }
  await main();
  await accounts(false);
}

await run().catch((err) => check("run (no exception)", false, err instanceof Error ? err.stack : String(err)));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
