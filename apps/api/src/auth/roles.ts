import { SetMetadata } from '@nestjs/common';

/** viewer reads (and the dashboard); operator plans, migrates, hot-plugs, evacuates; admin changes fleet facts and tokens. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
export const satisfies = (held: Role, needed: Role) => RANK[held] >= RANK[needed];

export const ROLE_KEY = 'ferry:role';
export const PUBLIC_KEY = 'ferry:public';

/** The least role a route needs. Routes without it need viewer for GET and admin for anything else. */
export const Requires = (role: Role) => SetMetadata(ROLE_KEY, role);

/** The role a route needs: its @Requires, else viewer for reads and admin for writes (a forgotten annotation fails closed). */
export const neededRole = (method: string, declared: Role | undefined): Role =>
  declared ?? (method === 'GET' || method === 'HEAD' ? 'viewer' : 'admin');

/** No token needed: only for what load balancers and humans reach before they have one. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
