// A small HTTP client for the Ferry REST API: JSON in and out, typed by the OpenAPI document
// (`call`), errors as ApiError with the API's field-level problems, and a Server-Sent Events reader
// for /v1/stream.
import type { Answer, MethodOf, PathParamsOf, paths, QueryOf, RequestJson } from './api-types.js';

export interface FieldProblem {
  field: string;
  message: string;
}

/** The API's error body: `{statusCode, error, message, problems}`. */
export interface ProblemBody {
  statusCode: number;
  error: string;
  message: string;
  problems?: FieldProblem[];
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: ProblemBody,
  ) {
    super(body.message);
  }
}

export class NetworkError extends Error {}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** What `call` sends: the path's parameters, its query and its JSON body, each as the document types them. */
export type CallOptions<P extends keyof paths, M extends MethodOf<P>> = {
  signal?: AbortSignal;
  /** The fleet file as YAML text instead of `json`. */
  yaml?: string;
} & ([PathParamsOf<P, M>] extends [never] ? { params?: never } : { params: PathParamsOf<P, M> }) &
  ([QueryOf<P, M>] extends [never] ? { query?: never } : { query?: QueryOf<P, M> }) &
  ([RequestJson<P, M>] extends [never] ? { json?: never } : { json?: RequestJson<P, M> });

export interface RequestOptions {
  json?: unknown;
  yaml?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

export class Client {
  readonly baseUrl: string;

  constructor(
    url: string,
    private readonly token?: string,
  ) {
    this.baseUrl = (/^https?:\/\//.test(url) ? url : `http://${url}`).replace(/\/+$/, '');
  }

  /** One operation of the API, by its documented path (`/v1/hosts/{id}`): the answer is typed from the document. */
  async call<P extends keyof paths, M extends MethodOf<P>>(
    method: M,
    path: P,
    // Optional when nothing in it is required (no path parameters).
    ...[options]: Partial<CallOptions<P, M>> extends CallOptions<P, M> ? [CallOptions<P, M>?] : [CallOptions<P, M>]
  ): Promise<{ status: number; body: Answer<P, M> }> {
    const { params, query, json, yaml, signal } = (options ?? {}) as {
      params?: Record<string, string | number>;
      query?: RequestOptions['query'];
      json?: unknown;
      yaml?: string;
      signal?: AbortSignal;
    };
    const url = String(path).replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params?.[name])));
    return this.request<Answer<P, M>>(method.toUpperCase(), url, { query, json, yaml, signal });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (options.yaml !== undefined) {
      headers['content-type'] = 'application/yaml';
      body = options.yaml;
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await this.fetch(this.url(path, options.query), { method, headers, body, signal: options.signal });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const problem = isProblem(parsed)
        ? parsed
        : {
            statusCode: response.status,
            error: response.statusText || 'http_error',
            message: text.trim().slice(0, 300) || `HTTP ${response.status}`,
            problems: [],
          };
      throw new ApiError(method, path, response.status, problem);
    }
    if (text && parsed === undefined)
      throw new NetworkError(
        `${method} ${path}: the server at ${this.baseUrl} did not answer with JSON; is FERRY_URL right?`,
      );
    return { status: response.status, body: parsed as T };
  }

  /** Reads `text/event-stream` until the server ends it or `signal` aborts. */
  async *stream(path: string, query: RequestOptions['query'], signal: AbortSignal): AsyncGenerator<SseEvent> {
    const response = await this.fetch(this.url(path, query), { headers: { accept: 'text/event-stream' }, signal });
    if (!response.ok || !response.body) {
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      throw new ApiError(
        'GET',
        path,
        response.status,
        isProblem(parsed)
          ? parsed
          : { statusCode: response.status, error: 'http_error', message: text.slice(0, 300), problems: [] },
      );
    }
    const decoder = new TextDecoder();
    let buffer = '';
    let event: Partial<SseEvent> & { data?: string } = {};
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            if (event.data !== undefined) yield { id: event.id, event: event.event ?? 'message', data: event.data };
            event = {};
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') event.data = event.data === undefined ? value : `${event.data}\n${value}`;
            else if (field === 'event') event.event = value;
            else if (field === 'id') event.id = value;
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw new NetworkError(`the event stream from ${this.baseUrl} broke: ${(error as Error).message}`);
    }
  }

  private url(path: string, query: RequestOptions['query'] = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('authorization', `Bearer ${this.token}`);
    try {
      return await fetch(url, { ...init, headers });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new NetworkError(`cannot reach the Ferry API at ${this.baseUrl} (${why}); set FERRY_URL or --url`);
    }
  }
}

function isProblem(value: unknown): value is ProblemBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProblemBody).message === 'string' &&
    typeof (value as ProblemBody).statusCode === 'number'
  );
}
