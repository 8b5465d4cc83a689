import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DomainError, type DomainEvent } from '@ferry/domain';
import type { EventMetadata, EventStore, Projection } from '@ferry/event-store';
import { ProjectionRunner } from '@ferry/event-store';
import type { Role } from './roles.js';

// API tokens are events like everything else, but only their SHA-256 is ever stored: the secret is
// shown once, at creation. Tokens are 32 random bytes, so a plain hash is enough (no slow KDF needed).

export type TokenEvent =
  | DomainEvent<'TokenIssued', { tokenId: string; name: string; role: Role; secretHash: string; hosts?: string[] }>
  | DomainEvent<'TokenRevoked', { tokenId: string }>;

export interface TokenDocument {
  id: string;
  name: string;
  role: Role;
  /** agent tokens: the hosts it may report for (fixed at issue). */
  hosts?: string[];
  secretHash: string;
  revoked: boolean;
  issuedAt: string;
  /** `token-<id>`, or `token-bootstrap` for the first admin token. */
  streamId: string;
}

export const tokensProjection: Projection<TokenDocument> = {
  name: 'tokens',
  documentIds: (e) =>
    e.streamId.startsWith('token-') && (e.type === 'TokenIssued' || e.type === 'TokenRevoked')
      ? [(e.data as { tokenId: string }).tokenId]
      : [],
  apply: (doc, e) => {
    const event = e as unknown as TokenEvent;
    if (event.type === 'TokenIssued') {
      return {
        id: event.data.tokenId,
        name: event.data.name,
        role: event.data.role,
        ...(event.data.hosts ? { hosts: event.data.hosts } : {}),
        secretHash: event.data.secretHash,
        revoked: false,
        issuedAt: e.recordedAt,
        streamId: e.streamId,
      };
    }
    return doc && { ...doc, revoked: true };
  },
};

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
export const newSecret = () => `fry_${randomBytes(32).toString('base64url')}`;

const REFRESH_MS = 1000;

/** Finds the token behind a secret; revocations and tokens made by other API instances show within a second. */
export class TokenRegistry {
  private byHash = new Map<string, TokenDocument>();
  private refreshedAt = 0;
  private readonly runner: ProjectionRunner;

  constructor(private readonly store: EventStore) {
    this.runner = new ProjectionRunner(store);
  }

  private async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.refreshedAt < REFRESH_MS) return;
    const docs = await this.runner.documents(tokensProjection);
    this.byHash = new Map(docs.filter((d) => !d.revoked).map((d) => [d.secretHash, d]));
    this.refreshedAt = Date.now();
  }

  async authenticate(secret: string): Promise<TokenDocument | undefined> {
    const hash = hashSecret(secret);
    await this.refresh();
    let found = this.byHash.get(hash);
    if (!found) {
      await this.refresh(true); // a token issued a moment ago, perhaps by another instance
      found = this.byHash.get(hash);
    }
    return found && timingSafeEqual(Buffer.from(found.secretHash), Buffer.from(hash)) ? found : undefined;
  }

  async list(): Promise<Omit<TokenDocument, 'secretHash' | 'streamId'>[]> {
    return (await this.runner.documents(tokensProjection)).map(({ id, name, role, hosts, revoked, issuedAt }) => ({
      id,
      name,
      role,
      ...(hosts ? { hosts } : {}),
      revoked,
      issuedAt,
    }));
  }

  /** Issues a token; returns the secret, which is never stored and cannot be shown again. */
  async issue(
    name: string,
    role: Role,
    metadata: EventMetadata,
    options: { secret?: string; streamId?: string; hosts?: string[] } = {},
  ): Promise<{ id: string; name: string; role: Role; hosts?: string[]; token: string }> {
    const id = randomUUID();
    const secret = options.secret ?? newSecret();
    const hosts = options.hosts;
    const event: TokenEvent = {
      type: 'TokenIssued',
      data: { tokenId: id, name, role, secretHash: hashSecret(secret), ...(hosts ? { hosts } : {}) },
    };
    await this.store.append(
      options.streamId ?? `token-${id}`,
      [{ type: event.type, data: event.data, metadata }],
      'no-stream',
    );
    await this.refresh(true);
    return { id, name, role, ...(hosts ? { hosts } : {}), token: secret };
  }

  async revoke(id: string, metadata: EventMetadata): Promise<void> {
    const token = (await this.runner.documents(tokensProjection)).find((t) => t.id === id);
    if (!token) throw new DomainError('not-found', 'TOKEN_NOT_FOUND', `token ${id} does not exist`);
    if (token.revoked) return;
    await this.store.append(token.streamId, [{ type: 'TokenRevoked', data: { tokenId: id }, metadata }], 'exists');
    await this.refresh(true);
  }

  async hasSecret(secret: string): Promise<boolean> {
    await this.refresh(true);
    return this.byHash.has(hashSecret(secret));
  }
}
