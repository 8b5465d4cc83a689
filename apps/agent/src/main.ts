#!/usr/bin/env node
// `ferry-agent`: reports one or more libvirt hosts to Ferry (facts, running domains, heartbeats).
import { readFileSync } from 'node:fs';
import { ConfigError, parseAgentConfig, USAGE } from './config.js';
import { FerryClient } from './ferry-client.js';
import { HostAgent } from './host-agent.js';
import { log } from './log.js';

let config;
try {
  config = parseAgentConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof ConfigError) && !(error instanceof TypeError)) throw error;
  process.stderr.write(`ferry-agent: ${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}

const tokenFile = config.tokenFile;
// Read at each request so a rotated token file is picked up without a restart.
const token = () => readFileSync(tokenFile, 'utf8').trim();
try {
  if (!token()) throw new Error('the file is empty');
} catch (error) {
  process.stderr.write(`ferry-agent: cannot read the token file ${tokenFile}: ${(error as Error).message}\n`);
  process.exit(2);
}

const client = new FerryClient(config.api, token);
const agents = config.hosts.map(
  (host) => new HostAgent(host, client, { heartbeatMs: config.heartbeatMs, resyncMs: config.resyncMs }),
);
for (const agent of agents) agent.start();
log('info', 'ferry-agent started', {
  api: config.api,
  hosts: config.hosts.map((h) => ({ id: h.id, libvirt: h.libvirt, root: h.root })),
  heartbeatMs: config.heartbeatMs,
  resyncMs: config.resyncMs,
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    for (const agent of agents) agent.stop();
    process.exit(0);
  });
}
