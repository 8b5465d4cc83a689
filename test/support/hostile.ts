// Generators of definitely-invalid request bodies: a valid base with one hostile mutation.
import fc from 'fast-check';

export type FieldKind = 'id' | 'enum' | 'address' | 'size' | 'int' | 'bool' | 'nullableBool' | 'pci' | 'string';
export type Path = (string | number)[];

/** Values that are wrong for every field of a kind (checked against the schema's rules). */
const INVALID: Record<FieldKind, unknown[]> = {
  id: ['', 'UPPER', '-lead', 'trail-', 'a'.repeat(64), 'a b', 'ümlaut', 5, null, {}, [], true],
  enum: ['sparc', '', 'X86_64', 1, null, {}, [], false],
  address: [
    '0x10000000000000000',
    '0xffffffffffffffffff',
    '0xfeeg0000',
    '4276092928',
    '',
    '0x',
    '-0x1',
    ' 0x1',
    4276092928,
    null,
    {},
    true,
  ],
  size: ['-1', '1.5GiB', '16GB', '', 'lots', '0x10000000000000000', -5, 1.5, 1e20, true, {}, null],
  int: [-1, 1.5, '12', null, 1e20, true, {}, []],
  bool: ['true', 1, 0, null, {}, []],
  nullableBool: ['true', 'null', 1, 0, {}, []],
  pci: ['81:00.0', '0000:81:00', '0000:81:00.8', '0000:zz:00.0', '', 5, null],
  string: [5, null, {}, [], true],
};

export interface Target {
  path: Path;
  kind: FieldKind;
}

export type Mutation =
  | { type: 'value'; target: Target; value: unknown }
  | { type: 'unknown-key'; at: Path; key: string }
  | { type: 'proto-key'; key: '__proto__' | 'constructor' | 'prototype' }
  | { type: 'inverted-range'; at: Path };

export function mutations(targets: Target[], objects: Path[], ranges: Path[]): fc.Arbitrary<Mutation> {
  const options: fc.Arbitrary<Mutation>[] = [
    fc
      .constantFrom(...targets)
      .chain((target) =>
        fc.constantFrom(...INVALID[target.kind]).map((value) => ({ type: 'value' as const, target, value })),
      ),
    fc
      .record({ at: fc.constantFrom(...objects), key: fc.string({ minLength: 1, maxLength: 12 }).map((s) => `x_${s}`) })
      .map((m) => ({ type: 'unknown-key' as const, ...m })),
    fc
      .constantFrom('__proto__' as const, 'constructor' as const, 'prototype' as const)
      .map((key) => ({ type: 'proto-key' as const, key })),
  ];
  if (ranges.length > 0)
    options.push(fc.constantFrom(...ranges).map((at) => ({ type: 'inverted-range' as const, at })));
  return fc.oneof(...options);
}

const get = (root: any, path: Path) => path.reduce((node, key) => node[key], root);

/** The JSON text of the base with the mutation applied, and the field path a good answer names. */
export function apply(base: unknown, mutation: Mutation, prefix = ''): { text: string; field: string } {
  const body = structuredClone(base) as any;
  const name = (path: Path) =>
    path.reduce<string>(
      (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key),
      prefix,
    );
  switch (mutation.type) {
    case 'value': {
      const parent = get(body, mutation.target.path.slice(0, -1));
      parent[mutation.target.path.at(-1)!] = mutation.value;
      return { text: JSON.stringify(body), field: name(mutation.target.path) };
    }
    case 'unknown-key':
      get(body, mutation.at)[mutation.key] = { nested: [1, 2, 3] };
      return { text: JSON.stringify(body), field: name([...mutation.at, mutation.key]) };
    case 'proto-key': {
      // JSON.stringify cannot write an own "__proto__" key, so splice it into the text.
      const text = JSON.stringify(body).replace(/^\{/, `{"${mutation.key}":{"polluted":true},`);
      return { text, field: name([mutation.key]) };
    }
    case 'inverted-range': {
      const range = get(body, mutation.at);
      range.start = '0x2000';
      range.end = '0x1fff';
      return { text: JSON.stringify(body), field: name([...mutation.at, 'end']) };
    }
  }
}

/**
 * Starts a request that announces `declaredBytes` of body but sends only `sentBytes`, then waits for
 * an answer. A server that answers has decided without reading (or parsing) the body; one that
 * waits for the rest gives no answer before `waitMs`.
 */
export async function answerBeforeBody(
  url: string,
  path: string,
  headers: Record<string, string>,
  declaredBytes: number,
  sentBytes: number,
  waitMs = 3000,
): Promise<{ status: number; body: string } | 'no answer'> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(declaredBytes), ...headers },
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve('no answer');
    }, waitMs);
    req.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may hang up on the unread body after answering; the answer already resolved.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    req.write(Buffer.from(`[${'0,'.repeat(Math.floor((sentBytes - 1) / 2))}`.slice(0, sentBytes)));
  });
}
