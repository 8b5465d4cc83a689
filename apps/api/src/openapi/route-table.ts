import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { neededRole, PUBLIC_KEY, ROLE_KEY, type Role } from '../auth/roles.js';
import { API_ROUTE_KEY, type RouteSpec } from './route-spec.js';

/** One route as Nest registers it, with the metadata the guard and the document both read. */
export interface RouteEntry {
  method: string;
  /** Express style: /v1/hosts/:id */
  path: string;
  /** Where it is declared, for messages that say what to fix: "HostsController.get". */
  handler: string;
  /** What the guard enforces: @Public, else @Requires (handler, then class), else the method's default. */
  role: Role | 'public';
  spec?: RouteSpec;
}

const metadata = <T>(key: string, ...targets: object[]): T | undefined =>
  targets.map((t) => Reflect.getMetadata(key, t) as T | undefined).find((v) => v !== undefined);

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/');

export function routeEntries(controllers: readonly Type[]): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const controller of controllers) {
    const base = [metadata<string | string[]>(PATH_METADATA, controller) ?? ''].flat();
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const requestMethod = metadata<RequestMethod>(METHOD_METADATA, handler);
      if (requestMethod === undefined) continue;
      const method = RequestMethod[requestMethod]!;
      const isPublic = metadata<boolean>(PUBLIC_KEY, handler, controller) === true;
      const role = isPublic ? 'public' : neededRole(method, metadata<Role>(ROLE_KEY, handler, controller));
      const spec = metadata<RouteSpec>(API_ROUTE_KEY, handler);
      for (const prefix of base)
        for (const path of [metadata<string | string[]>(PATH_METADATA, handler) ?? ''].flat())
          entries.push({ method, path: joinPath(prefix, path), handler: `${controller.name}.${name}`, role, spec });
    }
  }
  return entries;
}
