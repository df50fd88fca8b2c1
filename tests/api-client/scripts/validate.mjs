// Validates an OpenAPI document: structure and $refs against the official
// OpenAPI 3.0 JSON schema (@apidevtools/swagger-parser), then Redocly's
// "recommended" lint rules (@redocly/openapi-core). Exit 1 on any error;
// warnings are printed but do not fail.
import SwaggerParser from "@apidevtools/swagger-parser";
import { createConfig, formatProblems, getTotals, lint } from "@redocly/openapi-core";

const file = process.argv[2];
if (!file) {
  console.error("usage: node scripts/validate.mjs OPENAPI_FILE");
  process.exit(2);
}

let failed = false;
try {
  const api = await SwaggerParser.validate(file);
  console.log(`swagger-parser: ${file} is valid OpenAPI ${api.openapi} (${Object.keys(api.paths).length} paths)`);
} catch (err) {
  console.error(`swagger-parser: ${file} is invalid: ${err.message}`);
  failed = true;
}

// Every documented response carries a schema for each of its media types:
// the client checks (src/main.ts) validate every answer against it, and a
// response without one would otherwise pass unchecked. 204 and redirects
// (3xx, e.g. GET / → /console/) have no body.
try {
  const api = await SwaggerParser.dereference(file);
  const missing = [];
  for (const [route, ops] of Object.entries(api.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!op || typeof op !== "object" || !op.responses) continue;
      for (const [status, response] of Object.entries(op.responses)) {
        const content = response.content ?? {};
        if (Object.keys(content).length === 0 && !/^(204|3\d\d)$/.test(status)) {
          missing.push(`${method.toUpperCase()} ${route} ${status}: no content`);
        }
        for (const [type, media] of Object.entries(content)) {
          if (!media.schema) missing.push(`${method.toUpperCase()} ${route} ${status} ${type}: no schema`);
        }
      }
    }
  }
  for (const m of missing) console.error(`response schemas: ${m}`);
  console.log(`response schemas: ${missing.length} response(s) without a schema`);
  if (missing.length > 0) failed = true;
} catch (err) {
  console.error(`response schemas: cannot read ${file}: ${err.message}`);
  failed = true;
}

const config = await createConfig({
  extends: ["recommended"],
  rules: {
    // The document only describes a local server (http://{host}:{port}).
    "no-server-example.com": "off",
    // Internal service: no licence to name.
    "info-license": "off",
    "info-license-strict": "off",
  },
});
let problems;
try {
  problems = await lint({ ref: file, config });
} catch (err) {
  console.error(`redocly lint: cannot read ${file}: ${String(err.message).split("\n")[0]}`);
  process.exit(1);
}
const totals = getTotals(problems);
if (problems.length > 0) {
  formatProblems(problems, { format: "stylish", totals, version: "openapi-core", maxProblems: 100 });
}
console.log(`redocly lint: ${totals.errors} error(s), ${totals.warnings} warning(s)`);
if (totals.errors > 0) failed = true;

process.exit(failed ? 1 : 0);
