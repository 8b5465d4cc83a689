// The agent's side of the Ferry API: only the three routes an agent token may call.

export class FerryUnavailable extends Error {}

export class FerryRejected extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 10_000;

export class FerryClient {
  constructor(
    private readonly api: string,
    private readonly token: () => string,
  ) {}

  report(
    hostId: string,
    body: unknown,
  ): Promise<{ eventsWritten: number; changed: unknown[]; placementDeferred: string[] }> {
    return this.call('PUT', `/v1/hosts/${hostId}/agent-report`, body);
  }

  heartbeat(hostId: string): Promise<{ eventsWritten: number }> {
    return this.call('POST', `/v1/hosts/${hostId}/heartbeat`, {});
  }

  private async call<T>(method: string, path: string, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.api + path, {
        method,
        headers: { authorization: `Bearer ${this.token()}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new FerryUnavailable(
        `${this.api} unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    if (response.status >= 500)
      throw new FerryUnavailable(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
    if (!response.ok)
      throw new FerryRejected(response.status, `${method} ${path}: ${response.status} ${text.slice(0, 2000)}`);
    return JSON.parse(text) as T;
  }
}
