import { SetMetadata } from '@nestjs/common';

/**
 * viewer reads (and the dashboard); operator plans, migrates, hot-plugs, evacuates; admin changes fleet
 * facts and tokens. agent stands apart from that ladder: a host agent may report facts, placements and
 * heartbeats and ask the migration gate for the hosts it was bound to at issue, and nothing else (not
 * even reads), so a stolen agent token cannot see or change the rest of the fleet.
 */
export const ROLES = ['viewer', 'operator', 'admin', 'agent'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Exclude<Role, 'agent'>, number> = { viewer: 0, operator: 1, admin: 2 };
export function satisfies(held: Role, needed: Role): boolean {
  if (held === 'agent') return needed === 'agent';
  if (needed === 'agent') return held === 'admin';
  return RANK[held] >= RANK[needed];
}

export const ROLE_KEY = 'ferry:role';
export const PUBLIC_KEY = 'ferry:public';

/**
 * The least role a route needs. Routes without it need viewer for GET and admin for anything else.
 * `agent` routes take an agent bound to the host in the route's `:id` (or an admin).
 */
export const Requires = (role: Role) => SetMetadata(ROLE_KEY, role);

/** The role a route needs: its @Requires, else viewer for reads and admin for writes (a forgotten annotation fails closed). */
export const neededRole = (method: string, declared: Role | undefined): Role =>
  declared ?? (method === 'GET' || method === 'HEAD' ? 'viewer' : 'admin');

/** No token needed: only for what load balancers and humans reach before they have one. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
