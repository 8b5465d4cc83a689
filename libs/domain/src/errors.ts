/** Typed domain errors; the API maps `kind` to an HTTP status (400/404/409/412). */
export type DomainErrorKind = 'invalid' | 'not-found' | 'already-exists' | 'conflict' | 'precondition-failed';

export interface FieldProblem {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, id: string, field?: string) =>
  new DomainError(
    'not-found',
    `${what.toUpperCase()}_NOT_FOUND`,
    `${what} "${id}" does not exist`,
    field ? [{ field, message: `${what} "${id}" does not exist` }] : [],
  );
