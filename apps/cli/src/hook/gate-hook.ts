// libvirt's `qemu` hook, as Ferry installs it: on `migrate begin` (run on the DESTINATION, with the
// incoming domain's XML on stdin) it asks Ferry whether this guest may come here and refuses with
// every blocking conflict on stderr, which libvirt hands verbatim to whoever started the migration.
// Every other operation passes at once. Kept to node built-ins (and the XML parser only when
// gating), so it starts fast: libvirt waits for it.

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
  fetch: typeof fetch;
}

/** The arguments libvirt passes: `<domain name> <operation> <sub-operation> <extra>`. */
export function isGated(libvirtArgs: readonly string[]): boolean {
  return libvirtArgs[1] === 'migrate' && libvirtArgs[2] === 'begin';
}

/** The domain's UUID and name from its XML (the top-level <uuid> and <name> of <domain>). */
export async function domainIdentity(xml: string): Promise<{ uuid: string; name?: string } | undefined> {
  const { XMLParser } = await import('fast-xml-parser');
  let parsed: { domain?: { uuid?: unknown; name?: unknown } };
  try {
    parsed = new XMLParser({ ignoreAttributes: true, parseTagValue: false }).parse(xml);
  } catch {
    return undefined;
  }
  const uuid = typeof parsed.domain?.uuid === 'string' ? parsed.domain.uuid.trim().toLowerCase() : undefined;
  if (!uuid || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) return undefined;
  const name = typeof parsed.domain?.name === 'string' ? parsed.domain.name : undefined;
  return { uuid, ...(name ? { name } : {}) };
}

/** Asks Ferry; any failure to get an answer is handed to the configured failure mode. */
export async function gate(
  settings: HookSettings,
  libvirtArgs: readonly string[],
  domainXml: string,
  effects: HookEffects,
): Promise<HookResult> {
  const guest = libvirtArgs[0] ?? '?';
  const identity = await domainIdentity(domainXml);
  if (!identity) return failure(settings, guest, 'the domain XML on stdin has no readable <uuid>');
  let token: string;
  try {
    token = effects.readToken(settings.tokenFile).trim();
  } catch (error) {
    return failure(settings, guest, `cannot read the token file ${settings.tokenFile}: ${(error as Error).message}`);
  }
  let response: Response;
  let text: string;
  try {
    response = await effects.fetch(`${settings.api}/v1/hosts/${settings.hostId}/migration-gate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ domain: identity, operation: 'migrate' }),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const cause =
      (error as Error).name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : describe(error);
    return failure(settings, guest, `cannot reach Ferry at ${settings.api}: ${cause}`);
  }
  if (!response.ok) return failure(settings, guest, `Ferry answered ${response.status}: ${text.slice(0, 500)}`);
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
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
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
