#!/usr/bin/env node
// Entry point libvirt runs (through the script `ferry hook install` writes). See gate-hook.ts.
import { readFileSync } from 'node:fs';
import { failure, gate, httpPost, isGated, parseHookSettings } from './gate-hook.js';

const { settings, libvirtArgs } = parseHookSettings(process.argv.slice(2));
// Everything but `migrate begin` passes at once, without reading stdin (libvirt ignores the EPIPE:
// "child closed stdin early").
if (!isGated(libvirtArgs)) process.exit(0);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function finish(result: { code: number; stderr: string }): never {
  if (result.stderr) process.stderr.write(result.stderr);
  process.exit(result.code);
}

// Never hang libvirt: whatever is still pending after the timeout (and a margin) ends in the failure mode.
setTimeout(
  () => finish(failure(settings, libvirtArgs[0] ?? '?', `no decision within ${settings.timeoutMs} ms`)),
  settings.timeoutMs + 500,
);

const xml = await readStdin();
finish(await gate(settings, libvirtArgs, xml, { readToken: (path) => readFileSync(path, 'utf8'), post: httpPost }));
