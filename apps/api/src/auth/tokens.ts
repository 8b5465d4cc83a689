import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DomainError, notFound, type DomainEvent } from '@ferry/domain';
import type { AppendRequest, EventMetadata, EventStore, StoredEvent } from '@ferry/event-store';
import type { WriteContext, WriteOutcome } from '@ferry/fleet';
import type { Role } from './roles.js';
import type { TokenSecrets } from './token-secrets.js';

// API tokens are events like everything else, but their secrets are not: the secret is shown once,
// at creation, and only its SHA-256 is kept, in the token_secrets table, never in the log (which every
// viewer reads). Tokens are 32 random bytes, so a plain hash is enough (no slow KDF needed).

export type TokenEvent =
  /** Written by older versions, with the hash inside; still read (and never served: see servable-event). */
  | DomainEvent<'TokenIssued', { tokenId: string; name: string; role: Role; secretHash: string }>
  /** `hosts`: for agent tokens, the hosts the agent may report for (fixed at issue). */
  | DomainEvent<'TokenCreated', { tokenId: string; name: string; role: Role; hosts?: string[] }>
  | DomainEvent<'TokenRevoked', { tokenId: string }>;

export interface TokenDocument {
  id: string;
  name: string;
  role: Role;
  /** agent tokens: the hosts it may report for (fixed at issue). */
  hosts?: string[];
  revoked: boolean;
  issuedAt: string;
  /** `token-name-<name>`; `token-<id>` for tokens of older versions; `token-bootstrap` for the first admin token. */
  streamId: string;
  /** Only for TokenIssued (older versions); newer tokens' hashes are in token_secrets. */
  legacyHash?: string;
}

export type TokenSummary = Pick<TokenDocument, 'id' | 'name' | 'role' | 'hosts' | 'revoked' | 'issuedAt'>;

/** The tokens fold: one document per token, from its events (pure; the registry keeps it in memory). */
export function applyTokenEvent(doc: TokenDocument | undefined, e: StoredEvent): TokenDocument | undefined {
  const event = e as unknown as TokenEvent;
  switch (event.type) {
    case 'TokenIssued':
    case 'TokenCreated':
      return {
        id: event.data.tokenId,
        name: event.data.name,
        role: event.data.role,
        ...(event.type === 'TokenCreated' && event.data.hosts ? { hosts: event.data.hosts } : {}),
        revoked: false,
        issuedAt: e.recordedAt,
        streamId: e.streamId,
        ...(event.type === 'TokenIssued' ? { legacyHash: event.data.secretHash } : {}),
      };
    case 'TokenRevoked':
      return doc && { ...doc, revoked: true };
  }
}

const isTokenEvent = (e: StoredEvent) =>
  e.streamId.startsWith('token-') && ['TokenIssued', 'TokenCreated', 'TokenRevoked'].includes(e.type);

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
export const newSecret = () => `fry_${randomBytes(32).toString('base64url')}`;

const REFRESH_MS = 1000;
const PAGE = 1000;

/**
 * Finds the token behind a secret. The registry folds the token events in memory with plain reads of
 * the log (no projection write, so authenticating never takes the database's write lock); tokens made
 * and revoked by other API instances show within a second, this instance's at once. An unknown secret
 * never forces a refresh: a flood of invalid tokens costs a hash and a map lookup each.
 */
export class TokenRegistry {
  private readonly docs = new Map<string, TokenDocument>();
  private byHash = new Map<string, TokenDocument>();
  private hashes = new Map<string, string>();
  private cursor = 0;
  private refreshedAt = -Infinity;
  /** Catch-ups run one at a time, in order (two interleaved ones could re-apply an old event). */
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly secrets: TokenSecrets,
  ) {}

  /** Catches up when the fold is older than `maxAgeMs` (0: always, after any catch-up already running). */
  private refresh(maxAgeMs = REFRESH_MS): Promise<void> {
    if (performance.now() - this.refreshedAt < maxAgeMs) return Promise.resolve();
    if (this.queued && maxAgeMs > 0) return this.queued;
    const run = this.chain.then(() => this.catchUp());
    // The caller gets any failure from `run`; the chain and the queue slot only wait for it to settle.
    const settled = Promise.allSettled([run]);
    this.chain = settled.then(() => undefined);
    this.queued = run;
    void settled.then(() => {
      if (this.queued === run) this.queued = undefined;
    });
    return run;
  }

  private async catchUp(): Promise<void> {
    const started = performance.now();
    let unknownHash = false;
    for (;;) {
      const events = await this.store.readAll({ after: this.cursor, limit: PAGE });
      for (const event of events) {
        this.cursor = event.position;
        if (!isTokenEvent(event)) continue;
        const id = (event.data as { tokenId: string }).tokenId;
        const next = applyTokenEvent(this.docs.get(id), event);
        if (next) this.docs.set(id, next);
        if (event.type === 'TokenCreated' && !this.hashes.has(id)) unknownHash = true;
      }
      if (events.length < PAGE) break;
    }
    if (unknownHash) this.hashes = await this.secrets.all();
    const byHash = new Map<string, TokenDocument>();
    for (const doc of this.docs.values()) {
      const hash = doc.legacyHash ?? this.hashes.get(doc.id);
      if (hash) byHash.set(hash, doc);
    }
    this.byHash = byHash;
    this.refreshedAt = started;
  }

  /** The active token behind a secret, if any. */
  async authenticate(secret: string): Promise<TokenDocument | undefined> {
    await this.refresh();
    const found = this.byHash.get(hashSecret(secret));
    return found && !found.revoked ? found : undefined;
  }

  /** Whether a token is still active (a live event stream re-checks this). */
  async isActive(id: string): Promise<boolean> {
    await this.refresh();
    return this.docs.get(id)?.revoked === false;
  }

  /** The token behind a secret, revoked or not: how a restart recognises a revoked FERRY_ADMIN_TOKEN. */
  async findBySecret(secret: string): Promise<TokenDocument | undefined> {
    await this.refresh(0);
    return this.byHash.get(hashSecret(secret));
  }

  async list(): Promise<TokenSummary[]> {
    await this.refresh(0);
    return [...this.docs.values()]
      .sort((a, b) => a.issuedAt.localeCompare(b.issuedAt) || a.id.localeCompare(b.id))
      .map(({ id, name, role, hosts, revoked, issuedAt }) => ({
        id,
        name,
        role,
        ...(hosts ? { hosts } : {}),
        revoked,
        issuedAt,
      }));
  }

  /**
   * Issues a token; the answer holds the secret, which is never stored and cannot be shown again (an
   * idempotent replay answers without it). Names are unique among active tokens: each name has a
   * stream, appended at the version read, so two instances cannot both take one. `replacing` revokes
   * those tokens in the same append (rotating FERRY_ADMIN_TOKEN).
   */
  async issue(
    name: string,
    role: Role,
    ctx: Pick<WriteContext, 'metadata' | 'idempotency'>,
    options: { secret?: string; streamId?: string; replacing?: string[]; hosts?: string[] } = {},
  ): Promise<WriteOutcome> {
    await this.refresh(0);
    const replacing = (options.replacing ?? []).map((id) => this.docs.get(id)).filter((d) => d && !d.revoked);
    const taken = [...this.docs.values()].find(
      (d) => d.name === name && !d.revoked && !replacing.some((r) => r!.id === d.id),
    );
    if (taken)
      throw new DomainError('already-exists', 'TOKEN_NAME_TAKEN', `an active token is already named "${name}"`, [
        { field: 'name', message: `an active token is already named "${name}"; revoke it first or pick another name` },
      ]);
    const streamId = options.streamId ?? `token-name-${name}`;
    const id = randomUUID();
    const secret = options.secret ?? newSecret();
    const revocations = replacing.map((doc) => ({
      streamId: doc!.streamId,
      event: { type: 'TokenRevoked', data: { tokenId: doc!.id }, metadata: ctx.metadata },
    }));
    const requests: AppendRequest[] = [
      ...revocations
        .filter((r) => r.streamId !== streamId)
        .map((r) => ({ streamId: r.streamId, expectedVersion: 'exists' as const, events: [r.event] })),
      {
        streamId,
        expectedVersion: options.streamId ? 'no-stream' : await this.store.streamVersion(streamId),
        events: [
          ...revocations.filter((r) => r.streamId === streamId).map((r) => r.event),
          {
            type: 'TokenCreated',
            data: { tokenId: id, name, role, ...(options.hosts ? { hosts: options.hosts } : {}) },
            metadata: ctx.metadata,
          },
        ],
      },
    ];
    const body = { id, name, role, ...(options.hosts ? { hosts: options.hosts } : {}) };
    // The hash goes in first: a row whose event never lands is never consulted (lookups start from
    // the events), so a crash between the two leaves nothing that authenticates.
    await this.secrets.put(id, hashSecret(secret));
    const outcome = await this.store
      .appendMany(requests, ctx.idempotency && { ...ctx.idempotency, respond: () => ({ status: 201, body }) })
      .catch(async (error: unknown) => {
        await this.secrets.remove(id);
        throw error;
      });
    if (outcome.kind === 'replayed') {
      await this.secrets.remove(id);
      return { status: outcome.record.status, body: outcome.record.body, replayed: true };
    }
    await this.refresh(0);
    return { status: 201, body: { ...body, token: secret }, replayed: false };
  }

  async revoke(id: string, metadata: EventMetadata): Promise<void> {
    await this.refresh(0);
    const token = this.docs.get(id);
    if (!token) throw notFound('token', id);
    if (token.revoked) return;
    await this.store.append(token.streamId, [{ type: 'TokenRevoked', data: { tokenId: id }, metadata }], 'exists');
    await this.refresh(0);
  }
}
