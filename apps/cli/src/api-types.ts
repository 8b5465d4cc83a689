// Types of the Ferry API, read from apps/cli/src/generated/ferry-api.ts, which openapi-typescript writes
// from the OpenAPI document the server serves (`npm run generate:api-types`; a test fails when it is stale).
import type { components, paths } from './generated/ferry-api.js';

export type { paths };
/** The document's named schemas: `Schemas['Migration']`, `Schemas['HostView']`, … */
export type Schemas = components['schemas'];

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** The methods a path has (the generated types mark the others `never`). */
export type MethodOf<P extends keyof paths> = {
  [M in Method]-?: [NonNullable<paths[P][M]>] extends [never] ? never : M;
}[Method];
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON of the operation's success answers (200, 201 or 202). */
export type Answer<P extends keyof paths, M extends MethodOf<P>> =
  Operation<P, M> extends { responses: infer R } ? JsonOf<R[keyof R & (200 | 201 | 202)]> : never;
export type RequestJson<P extends keyof paths, M extends MethodOf<P>> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
export type QueryOf<P extends keyof paths, M extends MethodOf<P>> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
export type PathParamsOf<P extends keyof paths, M extends MethodOf<P>> =
  Operation<P, M> extends { parameters: { path: infer A } } ? A : never;
