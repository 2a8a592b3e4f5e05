// Parse AsyncAPI documents with the AsyncAPI project's own parser and print their
// diagnostics as JSON, {file: [{severity, code, message, path}]}, severity 0 = error,
// 1 = warning, 2 = information, 3 = hint. Run by tests/asyncapi (one node for several
// documents: node starts slowly):
//   node tests/asyncapi/validate.js docs/asyncapi.json [more.json ...]
// The documents must be self-contained: no resolver may fetch anything (no network in tests).
'use strict';
const fs = require('fs');
const { Parser } = require('@asyncapi/parser');

async function main(files) {
  const parser = new Parser({
    __unstable: { resolver: { resolvers: [
      { schema: 'http', order: 0, canRead: true, read: (uri) => refuse(uri) },
      { schema: 'https', order: 0, canRead: true, read: (uri) => refuse(uri) },
    ] } },
  });
  const out = {};
  for (const file of files) {
    const { diagnostics } = await parser.parse(fs.readFileSync(file, 'utf8'), { source: file });
    out[file] = diagnostics.map((d) => ({
      severity: d.severity, code: String(d.code), message: d.message, path: d.path.join('/'),
    }));
  }
  process.stdout.write(JSON.stringify(out));
}

function refuse(uri) {
  throw new Error(`the document refers to ${uri}: it must be self-contained`);
}

main(process.argv.slice(2)).catch((err) => { console.error(err.stack || String(err)); process.exit(2); });
