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

const config = await createConfig({
  extends: ["recommended"],
  rules: {
    // The WebSocket message schemas are documented for clients; no route uses them.
    "no-unused-components": "off",
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
