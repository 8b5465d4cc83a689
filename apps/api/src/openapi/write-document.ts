// Writes the OpenAPI document the API serves to a file, for the linter and the client generator:
// boots the application on an in-memory SQLite database without listening, reads the document, exits.
//   tsx --conditions=ferry-source apps/api/src/openapi/write-document.ts <out.json>
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { configFromEnv } from '@ferry/nest-modules';
import { createApp } from '../create-app.js';
import { openApiDocumentOf } from '../openapi.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: write-document.ts <out.json>');
  process.exit(64);
}
process.env.FERRY_LOG = 'silent';
const app = await createApp({
  ...configFromEnv({}),
  sqlitePath: ':memory:',
  adminToken: 'fry_openapi_document_writer_only_never_listens_000',
  warmFleetView: false,
});
try {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(openApiDocumentOf(app), null, 2) + '\n');
} finally {
  await app.close();
}
