// libvirt's `qemu` hook, as Ferry installs it: on `migrate begin` (run on the DESTINATION, with the
// incoming domain's XML on stdin) it asks Ferry whether this guest may come here and refuses with
// every blocking conflict on stderr, which libvirt hands verbatim to whoever started the migration.
// Every other operation passes at once. Node built-ins only, so it starts fast: libvirt waits for it.

export type FailureMode = 'fail-open' | 'fail-closed';

export interface HookSettings {
  api: string;
  tokenFile: string;
  hostId: string;
  failureMode: FailureMode;
  /** The whole decision, Ferry's answer included, must fit in this; then the failure mode decides. */
  timeoutMs: number;
}

export interface HookResult {
  code: number;
  stderr: string;
}

export interface HookEffects {
  readToken(path: string): string;
  /** POSTs JSON; rejects with a TimeoutError after timeoutMs. */
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpAnswer>;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

/** node:http(s) rather than fetch: loading fetch's implementation costs the hook more than its request. */
export async function httpPost(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const { request } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    req.end(body);
  });
}

/** The arguments libvirt passes: `<domain name> <operation> <sub-operation> <extra>`. */
export function isGated(libvirtArgs: readonly string[]): boolean {
  return libvirtArgs[1] === 'migrate' && libvirtArgs[2] === 'begin';
}

/**
 * The domain's UUID and name: the <uuid> and <name> children of the root <domain>. A small tokenizer
 * over a well-formed document (libvirt writes it), tracking depth so that a <uuid> nested deeper
 * (in <metadata>, say) is never taken for the domain's; a full XML parser would cost the hook more
 * start-up time than the whole decision.
 */
export function domainIdentity(xml: string): { uuid: string; name?: string } | undefined {
  const token = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[?!][^>]*>|<(\/?)([A-Za-z_][\w:.-]*)(?:\s[^>]*?)?(\/?)>/g;
  const path: string[] = [];
  const text: Record<string, string> = {};
  let textStart = -1;
  for (let match = token.exec(xml); match; match = token.exec(xml)) {
    const [, closing, name, selfClosing] = match;
    if (!name) continue; // comment, CDATA, declaration, processing instruction
    if (closing) {
      if (path.length === 2 && path[0] === 'domain' && path[1] === name && textStart >= 0)
        text[name] ??= xml.slice(textStart, match.index).trim();
      path.pop();
      textStart = -1;
      continue;
    }
    if (selfClosing) continue;
    path.push(name);
    textStart = match.index + match[0].length;
  }
  const uuid = text.uuid?.toLowerCase();
  if (!uuid || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) return undefined;
  const name = text.name ? unescapeXml(text.name) : undefined;
  return { uuid, ...(name ? { name } : {}) };
}

function unescapeXml(value: string): string {
  return value.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (entity, body: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (body[0] !== '#') return named[body.toLowerCase()] ?? entity;
    return String.fromCodePoint(
      body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : Number(body.slice(1)),
    );
  });
}

/** Asks Ferry; any failure to get an answer is handed to the configured failure mode. */
export async function gate(
  settings: HookSettings,
  libvirtArgs: readonly string[],
  domainXml: string,
  effects: HookEffects,
): Promise<HookResult> {
  const guest = libvirtArgs[0] ?? '?';
  const identity = domainIdentity(domainXml);
  if (!identity) return failure(settings, guest, 'the domain XML on stdin has no readable <uuid>');
  let token: string;
  try {
    token = effects.readToken(settings.tokenFile).trim();
  } catch (error) {
    return failure(settings, guest, `cannot read the token file ${settings.tokenFile}: ${(error as Error).message}`);
  }
  let status: number;
  let text: string;
  try {
    ({ status, text } = await effects.post(
      `${settings.api}/v1/hosts/${settings.hostId}/migration-gate`,
      { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      JSON.stringify({ domain: identity, operation: 'migrate' }),
      settings.timeoutMs,
    ));
  } catch (error) {
    const cause =
      (error as Error).name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : describe(error);
    return failure(settings, guest, `cannot reach Ferry at ${settings.api}: ${cause}`);
  }
  if (status < 200 || status > 299) return failure(settings, guest, `Ferry answered ${status}: ${text.slice(0, 500)}`);
  let answer: { decision?: string; message?: string };
  try {
    answer = JSON.parse(text);
  } catch {
    return failure(settings, guest, `Ferry's answer is not JSON: ${text.slice(0, 200)}`);
  }
  if (answer.decision === 'refused') return { code: 1, stderr: `${answer.message ?? 'ferry: refused'}\n` };
  if (answer.decision === 'allowed') return { code: 0, stderr: '' };
  return failure(settings, guest, `Ferry's answer has no decision: ${text.slice(0, 200)}`);
}

/** Ferry could not decide: say so, and do what the operator chose at install. */
export function failure(settings: HookSettings, guest: string, why: string): HookResult {
  if (settings.failureMode === 'fail-open')
    return { code: 0, stderr: `ferry: ${why}; fail-open: allowing the migration of ${guest} unchecked\n` };
  return { code: 1, stderr: `ferry: ${why}; fail-closed: refusing the migration of ${guest}\n` };
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  return code ?? message;
}

/** Parses the settings `ferry hook install` wrote into the hook script. */
export function parseHookSettings(args: readonly string[]): { settings: HookSettings; libvirtArgs: string[] } {
  const split = args.indexOf('--');
  const own = split < 0 ? args : args.slice(0, split);
  const libvirtArgs = split < 0 ? [] : args.slice(split + 1);
  const value = (flag: string) => {
    const i = own.indexOf(flag);
    return i >= 0 ? own[i + 1] : undefined;
  };
  const failureMode = value('--failure-mode');
  const settings: HookSettings = {
    api: (value('--api') ?? '').replace(/\/+$/, ''),
    tokenFile: value('--token-file') ?? '',
    hostId: value('--host') ?? '',
    // A broken install must not silently open the gate.
    failureMode: failureMode === 'fail-open' ? 'fail-open' : 'fail-closed',
    timeoutMs: Number(value('--timeout-ms') ?? 3000) || 3000,
  };
  return { settings, libvirtArgs };
}
