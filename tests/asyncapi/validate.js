// Parse an AsyncAPI document with the AsyncAPI project's own parser and print its
// diagnostics as JSON: [{severity, code, message, path}], severity 0 = error, 1 = warning,
// 2 = information, 3 = hint. Run by tests/asyncapi/test_asyncapi_document.py:
//   node tests/asyncapi/validate.js docs/asyncapi.json
// The document must be self-contained: no resolver may fetch anything (no network in tests).
'use strict';
const fs = require('fs');
const { Parser } = require('@asyncapi/parser');

async function main() {
  const text = fs.readFileSync(process.argv[2], 'utf8');
  const parser = new Parser({
    __unstable: { resolver: { resolvers: [
      { schema: 'http', order: 0, canRead: true, read: (uri) => refuse(uri) },
      { schema: 'https', order: 0, canRead: true, read: (uri) => refuse(uri) },
    ] } },
  });
  const { document, diagnostics } = await parser.parse(text, { source: process.argv[2] });
  const out = diagnostics.map((d) => ({
    severity: d.severity, code: String(d.code), message: d.message, path: d.path.join('/'),
  }));
  process.stdout.write(JSON.stringify({ parsed: Boolean(document), diagnostics: out }));
}

function refuse(uri) {
  throw new Error(`the document refers to ${uri}: it must be self-contained`);
}

main().catch((err) => { console.error(err.stack || String(err)); process.exit(2); });
