/** 401 (who are you?), 403 (not allowed), 429 (slow down): answered in the usual problem shape. */
export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403 | 429,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
