// Validates an AsyncAPI document with the official parser (@asyncapi/parser:
// structure, $refs and its Spectral rules), then, when a frames file is given,
// checks every recorded WebSocket frame against the document's message
// schemas (ajv), matched by the frame's `type`.
//
//   node scripts/validate.mjs ASYNCAPI_FILE [FRAMES_FILE]
//
// FRAMES_FILE holds one JSON line per frame, {"dir":"sent"|"received",
// "frame":"<text>"}, as tests/support/ws_client.cc writes it when
// SYNCD_RECORD_FRAMES is set. Frames the server sent ("received") must all
// validate: a type without a schema or a frame that does not validate fails.
// Frames the tests sent are checked the same way, except that the hostile-
// input tests send broken ones on purpose (not JSON, no `type`, unknown
// types, bad fields): those are counted and listed, and fail only with
// --strict-sent. Exit 1 on any failure.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Parser, fromFile, DiagnosticSeverity } from "@asyncapi/parser";
import Ajv from "ajv";

const args = process.argv.slice(2);
const strictSent = args.includes("--strict-sent");
const [docFile, framesFile] = args.filter((a) => !a.startsWith("--"));
if (!docFile) {
  console.error("usage: node scripts/validate.mjs ASYNCAPI_FILE [FRAMES_FILE] [--strict-sent]");
  process.exit(2);
}

// 1. The document.
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, resolve(docFile)).parse();
const severity = ["error", "warning", "info", "hint"];
let errors = 0;
for (const d of diagnostics) {
  const where = d.path && d.path.length ? ` at ${d.path.join(".")}` : "";
  const line = `asyncapi: ${severity[d.severity] ?? d.severity}: ${d.code}: ${d.message}${where}`;
  if (d.severity === DiagnosticSeverity.Error) {
    errors++;
    console.error(line);
  } else if (d.severity === DiagnosticSeverity.Warning) {
    console.log(line);
  }
}
if (!document || errors > 0) {
  console.error(`asyncapi: ${docFile} is invalid (${errors} error(s))`);
  process.exit(1);
}
console.log(
  `asyncapi: ${docFile} is valid AsyncAPI ${document.version()} ` +
    `(${document.channels().length} channel(s), ${document.operations().length} operation(s), ` +
    `${document.messages().length} message(s))`,
);
if (!framesFile) process.exit(0);

// 2. The message schemas, by direction and `type`. "received" frames are the
// server's (operations with action "send"), "sent" ones the client's.
const ajv = new Ajv({ strict: false, allErrors: true });
const schemas = { received: new Map(), sent: new Map() };
function typesOf(schema) {
  const t = schema?.properties?.type;
  if (!t) return [];
  if (t.const !== undefined) return [t.const];
  return t.enum ?? [];
}
for (const op of document.operations()) {
  const dir = op.action() === "send" ? "received" : "sent";
  for (const message of op.messages()) {
    const payload = message.payload()?.json();
    const types = typesOf(payload);
    if (types.length === 0) {
      console.error(`asyncapi: message ${message.id()} has no payload.properties.type const/enum`);
      process.exit(1);
    }
    const validate = ajv.compile(payload);
    for (const type of types) schemas[dir].set(type, { validate, message: message.id() });
  }
}

// 3. The frames.
const counts = { received: new Map(), sent: new Map() };
const failures = { received: [], sent: [] };
const lines = readFileSync(framesFile, "utf8").split("\n").filter((l) => l.length > 0);
for (const [i, line] of lines.entries()) {
  let record;
  try {
    record = JSON.parse(line);
  } catch {
    failures.received.push(`line ${i + 1}: not a JSON record`);
    continue;
  }
  const dir = record.dir === "sent" ? "sent" : "received";
  const short = record.frame.length > 200 ? `${record.frame.slice(0, 200)}…` : record.frame;
  let frame;
  try {
    frame = JSON.parse(record.frame);
  } catch {
    failures[dir].push(`line ${i + 1}: not JSON: ${short}`);
    continue;
  }
  const type = frame && typeof frame === "object" && !Array.isArray(frame) ? frame.type : undefined;
  if (typeof type !== "string") {
    failures[dir].push(`line ${i + 1}: no string "type": ${short}`);
    continue;
  }
  const entry = schemas[dir].get(type);
  if (!entry) {
    failures[dir].push(`line ${i + 1}: type "${type}" has no schema: ${short}`);
    continue;
  }
  if (!entry.validate(frame)) {
    const why = ajv.errorsText(entry.validate.errors, { dataVar: type });
    failures[dir].push(`line ${i + 1}: ${type} does not match ${entry.message}: ${why}: ${short}`);
    continue;
  }
  counts[dir].set(type, (counts[dir].get(type) ?? 0) + 1);
}

function report(dir, title) {
  const total = [...counts[dir].values()].reduce((a, b) => a + b, 0);
  console.log(`frames ${title}: ${total} valid`);
  for (const [type, n] of [...counts[dir].entries()].sort()) console.log(`  ${type.padEnd(28)} ${n}`);
  const unseen = [...schemas[dir].keys()].filter((t) => !counts[dir].has(t)).sort();
  if (unseen.length) console.log(`  (no frame seen of: ${unseen.join(", ")})`);
}
report("received", "from the server");
report("sent", "from the tests");

let failed = false;
if (failures.received.length) {
  failed = true;
  console.error(`frames from the server: ${failures.received.length} invalid`);
  for (const f of failures.received.slice(0, 50)) console.error(`  ${f}`);
}
if (failures.sent.length) {
  const out = strictSent ? console.error : console.log;
  out(`frames from the tests outside the schema (hostile-input tests send these on purpose): ${failures.sent.length}`);
  const byKind = new Map();
  for (const f of failures.sent) {
    const kind = f.replace(/^line \d+: /, "").replace(/:.*$/s, "");
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  for (const [kind, n] of [...byKind.entries()].sort()) out(`  ${String(n).padStart(5)}  ${kind}`);
  if (strictSent) failed = true;
}
if (lines.length === 0) {
  console.error(`frames: ${framesFile} is empty; was SYNCD_RECORD_FRAMES set for the e2e run?`);
  failed = true;
}
process.exit(failed ? 1 : 0);
