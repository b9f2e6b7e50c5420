import * as operations from './gen/sdk.gen.js';
import type { BulkUpdateTasksData, BulkUpdateTasksError, BulkUpdateTasksResponse, ClearCompletedTasksData, ClearCompletedTasksError, ClearCompletedTasksResponse, CompleteTaskData, CompleteTaskError, CompleteTaskResponse, CreateTaskData, CreateTaskError, CreateTaskResponse, DeleteTaskData, DeleteTaskError, GetHealthData, GetHealthError, GetHealthResponse, GetReadinessData, GetReadinessError, GetReadinessResponse, GetTaskData, GetTaskError, GetTaskResponse, ListChangesData, ListChangesError, ListChangesResponse, ListTasksData, ListTasksError, ListTasksResponse, PatchTaskData, PatchTaskError, PatchTaskResponse, Problem, ReplaceTaskData, ReplaceTaskError, ReplaceTaskResponse } from './gen/types.gen.js';
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
export type TodoResult<TData, TError = Problem> = {
    data: TData;
    error: undefined;
    response: Response;
} | {
    data: undefined;
    error: TError;
    response: Response;
};
/**
 * No HTTP answer: the network failed, the request was aborted, or the browser blocked the response
 * (a CORS failure looks exactly like this to a script). `cause` is what `fetch` threw.
 */
export declare class TodoTransportError extends Error {
    /** The request that got no answer. */
    readonly request: Request | undefined;
    readonly name = "TodoTransportError";
    constructor(
    /** The request that got no answer. */
    request: Request | undefined, options: {
        cause: unknown;
    });
}
/** What one operation takes: its path, query and body as the contract types them, and an abort signal. */
export type TodoRequest<TData> = Omit<TData, 'url'> & {
    signal?: AbortSignal;
};
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
    bulkUpdateTasks(request: TodoRequest<BulkUpdateTasksData>): Promise<TodoResult<BulkUpdateTasksResponse, BulkUpdateTasksError>>;
    clearCompletedTasks(request?: TodoRequest<ClearCompletedTasksData>): Promise<TodoResult<ClearCompletedTasksResponse, ClearCompletedTasksError>>;
    /** The change feed: what changed since a sync token; see the README's "Keeping clients in sync". */
    listChanges(request?: TodoRequest<ListChangesData>): Promise<TodoResult<ListChangesResponse, ListChangesError>>;
    /** Server-sent events announcing the caller's changes; iterate `stream`, abort with `signal`. */
    streamTaskEvents(request?: TodoStreamRequest): ReturnType<typeof operations.streamTaskEvents>;
}
/** What the event stream takes: its headers, an abort signal and the generator's SSE options. */
export type TodoStreamRequest = Omit<NonNullable<Parameters<typeof operations.streamTaskEvents>[0]>, 'client' | 'url' | 'throwOnError'>;
/** Creates the only way to call the API: the operations bound to `baseUrl` and the user's token. */
export declare function createTodoClient(options: TodoClientOptions): TodoClient;
/**
 * The `cursor` for the next page of `listTasks`, read from the response's `Link: <…>; rel="next"`
 * header; `undefined` on the last page. Pass it back with the same filters and sort.
 */
export declare function nextCursor(response: Response | undefined): string | undefined;
/**
 * The entity tag of a task, `"<id>-<version>"`, as the contract documents the `ETag` header: pass it as
 * `If-Match` to change the task only if nobody else did since (a 412 otherwise), for instance from a
 * task of a list, which carries no header of its own.
 */
export declare function etagOf(task: {
    id: number;
    version: number;
}): string;
/** The `ETag` of a response (a task's or a page's), to send back in `If-Match` or `If-None-Match`. */
export declare function responseEtag(response: Response | undefined): string | undefined;
/** A new `Idempotency-Key` for one intended change; send the same key with every retry of it. */
export declare function newIdempotencyKey(): string;
/** Whether the response is the stored one of an earlier request with the same `Idempotency-Key`. */
export declare function wasReplayed(response: Response | undefined): boolean;
