// Hand-written entry point of @todo-api/client (source: clients/typescript/src/index.ts; `make client`
// compiles it into generated/typescript/). The generator knows the operations but not where the API
// lives, whose token to send, or how this API links pages, so those things live here. The generator's
// raw operations and its unconfigured default client are deliberately not exported: a call that could
// forget the client would silently go to the contract's example server without a token.

import { createClient, type Client } from './gen/client/index.js';
import * as operations from './gen/sdk.gen.js';
import type {
  BulkUpdateTasksData,
  BulkUpdateTasksError,
  BulkUpdateTasksResponse,
  ClearCompletedTasksData,
  ClearCompletedTasksError,
  ClearCompletedTasksResponse,
  CompleteTaskData,
  CompleteTaskError,
  CompleteTaskResponse,
  CreateTaskData,
  CreateTaskError,
  CreateTaskResponse,
  DeleteTaskData,
  DeleteTaskError,
  GetHealthData,
  GetHealthError,
  GetHealthResponse,
  GetReadinessData,
  GetReadinessError,
  GetReadinessResponse,
  GetTaskData,
  GetTaskError,
  GetTaskResponse,
  ListChangesData,
  ListChangesError,
  ListChangesResponse,
  ListTasksData,
  ListTasksError,
  ListTasksResponse,
  PatchTaskData,
  PatchTaskError,
  PatchTaskResponse,
  Problem,
  ReplaceTaskData,
  ReplaceTaskError,
  ReplaceTaskResponse,
} from './gen/types.gen.js';

export type * from './gen/types.gen.js';

/**
 * Returns the caller's current Better Auth JWT, or nothing when signed out. It is called before every
 * authenticated request, so a token refreshed by the auth client is picked up without rebuilding.
 */
export type TokenProvider = () => string | null | undefined | Promise<string | null | undefined>;

export interface TodoClientOptions {
  /** Origin the API is served from, e.g. `https://todo.example.com` (without `/api`). */
  baseUrl: string;
  /** Source of the bearer token; see {@link TokenProvider}. */
  token: TokenProvider;
  /** A fetch implementation, for tests or server-side rendering; defaults to the global one. */
  fetch?: typeof globalThis.fetch;
}

/**
 * The API answered: either `data` (a 2xx; `undefined` for a 204) or `error`, the contract's problem
 * details. `response` is always there. When no answer arrived at all, the call throws a
 * {@link TodoTransportError} instead, so `error` is only ever what the API said.
 */
export type TodoResult<TData, TError = Problem> =
  | { data: TData; error: undefined; response: Response }
  | { data: undefined; error: TError; response: Response };

/**
 * No HTTP answer: the network failed, the request was aborted, or the browser blocked the response
 * (a CORS failure looks exactly like this to a script). `cause` is what `fetch` threw.
 */
export class TodoTransportError extends Error {
  override readonly name = 'TodoTransportError';

  constructor(
    /** The request that got no answer. */
    readonly request: Request | undefined,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`No answer from the Todo API${request ? ` for ${request.method} ${request.url}` : ''}: ${reason}`, options);
  }
}

/** What one operation takes: its path, query and body as the contract types them, and an abort signal. */
export type TodoRequest<TData> = Omit<TData, 'url'> & { signal?: AbortSignal };

/** The contract's operations, bound to one API origin and one user's token. */
export interface TodoClient {
  listTasks(request?: TodoRequest<ListTasksData>): Promise<TodoResult<ListTasksResponse, ListTasksError>>;
  createTask(request: TodoRequest<CreateTaskData>): Promise<TodoResult<CreateTaskResponse, CreateTaskError>>;
  getTask(request: TodoRequest<GetTaskData>): Promise<TodoResult<GetTaskResponse, GetTaskError>>;
  replaceTask(request: TodoRequest<ReplaceTaskData>): Promise<TodoResult<ReplaceTaskResponse, ReplaceTaskError>>;
  patchTask(request: TodoRequest<PatchTaskData>): Promise<TodoResult<PatchTaskResponse, PatchTaskError>>;
  completeTask(request: TodoRequest<CompleteTaskData>): Promise<TodoResult<CompleteTaskResponse, CompleteTaskError>>;
  /** Resolves `data: undefined` on success: a 204 has no body. */
  deleteTask(request: TodoRequest<DeleteTaskData>): Promise<TodoResult<undefined, DeleteTaskError>>;
  getHealth(request?: TodoRequest<GetHealthData>): Promise<TodoResult<GetHealthResponse, GetHealthError>>;
  getReadiness(request?: TodoRequest<GetReadinessData>): Promise<TodoResult<GetReadinessResponse, GetReadinessError>>;
  bulkUpdateTasks(
    request: TodoRequest<BulkUpdateTasksData>,
  ): Promise<TodoResult<BulkUpdateTasksResponse, BulkUpdateTasksError>>;
  clearCompletedTasks(
    request?: TodoRequest<ClearCompletedTasksData>,
  ): Promise<TodoResult<ClearCompletedTasksResponse, ClearCompletedTasksError>>;
  /** The change feed: what changed since a sync token; see the README's "Keeping clients in sync". */
  listChanges(request?: TodoRequest<ListChangesData>): Promise<TodoResult<ListChangesResponse, ListChangesError>>;
  /** Server-sent events announcing the caller's changes; iterate `stream`, abort with `signal`. */
  streamTaskEvents(request?: TodoStreamRequest): ReturnType<typeof operations.streamTaskEvents>;
}

/** What the event stream takes: its headers, an abort signal and the generator's SSE options. */
export type TodoStreamRequest = Omit<
  NonNullable<Parameters<typeof operations.streamTaskEvents>[0]>,
  'client' | 'url' | 'throwOnError'
>;

/** The generator's result before it is settled into a {@link TodoResult}. */
interface RawOutcome {
  data?: unknown;
  error?: unknown;
  request: Request;
  response: Response | undefined;
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && 'status' in value && 'title' in value;
}

async function settle<TData, TError>(pending: Promise<RawOutcome>): Promise<TodoResult<TData, TError>> {
  const { data, error, request, response } = await pending;
  if (response === undefined) {
    throw new TodoTransportError(request, { cause: error });
  }
  // 304 Not Modified answers a conditional read: nothing failed, and nothing new arrived.
  if (!response.ok && response.status !== 304) {
    // Something other than the API (a proxy's 502 page) may answer; it still gets a problem's shape.
    const problem = isProblem(error)
      ? error
      : { type: 'about:blank', title: response.statusText || `HTTP ${response.status}`, status: response.status };
    return { data: undefined, error: problem as TError, response };
  }
  // The generator resolves a body-less 204 or 304 as `{}`; the contract says there is nothing.
  const bodiless = response.status === 204 || response.status === 304;
  return { data: (bodiless ? undefined : data) as TData, error: undefined, response };
}

/** Creates the only way to call the API: the operations bound to `baseUrl` and the user's token. */
export function createTodoClient(options: TodoClientOptions): TodoClient {
  const client: Client = createClient({
    baseUrl: options.baseUrl,
    auth: async () => (await options.token()) ?? undefined,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const bound = { client, throwOnError: false } as const;
  return {
    listTasks: (request) => settle(operations.listTasks({ ...request, ...bound })),
    createTask: (request) => settle(operations.createTask({ ...request, ...bound })),
    getTask: (request) => settle(operations.getTask({ ...request, ...bound })),
    replaceTask: (request) => settle(operations.replaceTask({ ...request, ...bound })),
    patchTask: (request) => settle(operations.patchTask({ ...request, ...bound })),
    completeTask: (request) => settle(operations.completeTask({ ...request, ...bound })),
    deleteTask: (request) => settle(operations.deleteTask({ ...request, ...bound })),
    getHealth: (request) => settle(operations.getHealth({ ...request, ...bound })),
    getReadiness: (request) => settle(operations.getReadiness({ ...request, ...bound })),
    bulkUpdateTasks: (request) => settle(operations.bulkUpdateTasks({ ...request, ...bound })),
    clearCompletedTasks: (request) => settle(operations.clearCompletedTasks({ ...request, ...bound })),
    listChanges: (request) => settle(operations.listChanges({ ...request, ...bound })),
    streamTaskEvents: (request) => operations.streamTaskEvents({ ...request, ...bound }),
  };
}

// RFC 8288 link-value: `<target>` followed by `;`-separated parameters, values optionally quoted.
const LINK_VALUE = /<([^>]*)>((?:\s*;\s*[^;,=\s]+(?:\s*=\s*(?:"[^"]*"|[^;,\s]*))?)*)/g;
const LINK_PARAM = /;\s*([^;,=\s]+)(?:\s*=\s*(?:"([^"]*)"|([^;,\s]*)))?/g;

/**
 * The `cursor` for the next page of `listTasks`, read from the response's `Link: <…>; rel="next"`
 * header; `undefined` on the last page. Pass it back with the same filters and sort.
 */
export function nextCursor(response: Response | undefined): string | undefined {
  const header = response?.headers.get('Link');
  if (!header) {
    return undefined;
  }
  for (const [, target, params] of header.matchAll(LINK_VALUE)) {
    for (const [, name, quoted, bare] of (params ?? '').matchAll(LINK_PARAM)) {
      const rels = (quoted ?? bare ?? '').toLowerCase().split(/\s+/);
      if (name?.toLowerCase() === 'rel' && rels.includes('next')) {
        // The target is relative to the request URL; any base works since only the query is read.
        return new URL(target ?? '', 'http://link.invalid/').searchParams.get('cursor') ?? undefined;
      }
    }
  }
  return undefined;
}

/**
 * The entity tag of a task, `"<id>-<version>"`, as the contract documents the `ETag` header: pass it as
 * `If-Match` to change the task only if nobody else did since (a 412 otherwise), for instance from a
 * task of a list, which carries no header of its own.
 */
export function etagOf(task: { id: number; version: number }): string {
  return `"${task.id}-${task.version}"`;
}

/** The `ETag` of a response (a task's or a page's), to send back in `If-Match` or `If-None-Match`. */
export function responseEtag(response: Response | undefined): string | undefined {
  return response?.headers.get('ETag') ?? undefined;
}

/** A new `Idempotency-Key` for one intended change; send the same key with every retry of it. */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** Whether the response is the stored one of an earlier request with the same `Idempotency-Key`. */
export function wasReplayed(response: Response | undefined): boolean {
  return response?.headers.get('Idempotent-Replayed') === 'true';
}
