// Check real events against an AsyncAPI document's own schemas, with Ajv (the JSON Schema
// validator @asyncapi/parser itself uses): each event's data against its message's payload
// schema, its Kafka headers against its message's headers schema. Prints the failures as
// JSON, [{id, type, part, errors}]; run by tests/asyncapi/test_events_match_the_document.py:
//   node tests/asyncapi/check_events.js asyncapi.json events.json
// events.json: [{id, type, data, headers: {name: value}, structured?: {…}}]; `structured`,
// the structured-mode CloudEvent of a whistle event, is checked against `structured.<type>`.
'use strict';
const fs = require('fs');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const [docPath, eventsPath] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const events = JSON.parse(fs.readFileSync(eventsPath, 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// The document's schemas refer to each other as "#/components/schemas/…": keep that root,
// and find each message's schemas by their JSON pointer in it.
ajv.addSchema({ $id: 'asyncapi', components: doc.components });
const schema = (pointer) => ajv.getSchema(`asyncapi#${pointer}`);

const failures = [];
for (const e of events) {
  const message = doc.components.messages[e.type];
  if (!message) {
    failures.push({ id: e.id, type: e.type, part: 'message', errors: ['no such message'] });
    continue;
  }
  const payload = schema(message.payload.$ref.slice(1));
  const headers = schema(`/components/messages/${e.type}/headers`);
  const parts = [['data', payload, e.data], ['headers', headers, e.headers]];
  if (e.structured !== undefined) {  // as a webhook or the SSE stream sends it
    const message = doc.components.messages[`structured.${e.type}`];
    parts.push(['structured', message ? schema(`/components/messages/structured.${e.type}/payload`)
      : null, e.structured]);
  }
  for (const [part, check, value] of parts) {
    if (!check) failures.push({ id: e.id, type: e.type, part, errors: ['no such message'] });
    else if (!check(value)) failures.push({ id: e.id, type: e.type, part, errors: check.errors });
  }
}
process.stdout.write(JSON.stringify(failures));
