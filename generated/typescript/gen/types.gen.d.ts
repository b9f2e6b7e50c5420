export type ClientOptions = {
    baseUrl: 'http://127.0.0.1:8000' | (string & {});
};
export type StatusFilter = 'all' | 'pending' | 'completed';
export type TaskSort = 'created_at' | '-created_at' | 'updated_at' | '-updated_at' | 'title' | '-title' | 'due_at' | '-due_at' | 'priority' | '-priority';
export type Priority = 'low' | 'medium' | 'high';
/**
 * Leading and trailing white space is removed; must contain a visible character. Invisible
 * format characters (Unicode category Cf in the Basic Multilingual Plane: bidi overrides and
 * isolates, zero-width spaces, soft hyphens, the byte order mark) are refused, so a title cannot
 * be blank to the eye or display reordered; the joiners U+200C/U+200D, which emoji sequences
 * and several scripts need, are allowed between other characters.
 *
 */
export type Title = string;
export type Description = string | null;
/**
 * RFC 3339 date-time with an offset; returned in UTC with `Z`, at microsecond precision (more
 * fractional digits are truncated, see the API description). It is stored in UTC, so the first and the
 * last day of the representable range (0001-01-01, 9999-12-31), where an offset could carry
 * the instant out of it, are not accepted.
 *
 */
export type DueAt = string | null;
/**
 * A label; no leading or trailing white space; no invisible format characters (see `Title`).
 */
export type Tag = string;
export type Tags = Array<Tag>;
export type Task = {
    id: number;
    /**
     * The owner's user id (the token's `sub`).
     */
    user_id: string;
    title: string;
    description: string | null;
    completed: boolean;
    /**
     * UTC with `Z`, at microsecond precision (six fractional digits when there is a fraction).
     */
    completed_at: string | null;
    /**
     * UTC with `Z`, at microsecond precision (six fractional digits when there is a fraction).
     */
    due_at: string | null;
    priority: Priority;
    tags: Array<string>;
    /**
     * UTC with `Z`, at microsecond precision (six fractional digits when there is a fraction).
     */
    created_at: string;
    /**
     * UTC with `Z`, at microsecond precision (six fractional digits when there is a fraction).
     */
    updated_at: string;
    /**
     * 1 when created, one more on every change; the `ETag` is made of it.
     */
    version: number;
};
export type TaskCreate = {
    title: Title;
    description?: Description;
    due_at?: DueAt;
    priority?: Priority;
    tags?: Tags;
};
export type TaskReplace = {
    title: Title;
    description?: Description;
    due_at?: DueAt;
    priority?: Priority;
    tags?: Tags;
    completed?: boolean;
};
/**
 * JSON merge patch of the editable fields.
 */
export type TaskPatch = {
    title?: Title;
    description?: Description;
    due_at?: DueAt;
    priority?: Priority;
    tags?: Tags;
    completed?: boolean;
};
export type CompletionUpdate = {
    completed: boolean;
};
/**
 * An opaque sync token, as issued in `ChangePage.next`.
 */
export type SyncToken = string;
export type ChangeKind = 'task' | 'tombstone';
export type SyncEventType = 'sync' | 'resync';
/**
 * `not_found` for a missing task and for another user's task alike.
 */
export type BulkStatus = 'updated' | 'deleted' | 'not_found';
/**
 * One change: `task` holds the task as it is now (`kind` is `task`), or the task was deleted at
 * `deleted_at` (`kind` is `tombstone`, `task` is null). Apply changes in order; a tombstone for
 * a task the client never saw is a no-op.
 *
 */
export type TaskChange = {
    kind: ChangeKind;
    /**
     * The task's id.
     */
    id: number;
    /**
     * The caller's change sequence number of this change.
     */
    seq: number;
    task: Task | null;
    deleted_at: string | null;
};
export type ChangePage = {
    changes: Array<TaskChange>;
    next: SyncToken;
    /**
     * True when more changes follow now; pass `next` as `since` to get them.
     */
    more: boolean;
    /**
     * The change sequence number `next` stands at; compare it with a `sync` event's `seq`.
     */
    position: number;
};
/**
 * The `data` of one server-sent event.
 */
export type SyncEvent = {
    type: SyncEventType;
    /**
     * For `sync`, the caller's latest change sequence number; null for `resync`.
     */
    seq: number | null;
};
export type BulkAction = 'complete' | 'reopen' | 'delete';
export type BulkRequest = {
    action: BulkAction;
    ids: Array<number>;
};
export type BulkOutcome = {
    id: number;
    status: BulkStatus;
    /**
     * The task after the change; null when deleted or not found.
     */
    task: Task | null;
};
export type BulkResult = {
    results: Array<BulkOutcome>;
};
export type ClearResult = {
    /**
     * The number of completed tasks deleted.
     */
    deleted: number;
};
export type Health = {
    status: 'ok';
};
export type FieldProblem = {
    /**
     * Where the problem is; a JSON pointer into the body, or `query`/`path`/`header` then the parameter name.
     */
    pointer: string;
    detail: string;
};
/**
 * RFC 9457 problem details.
 */
export type Problem = {
    type: string;
    title: string;
    status: number;
    detail?: string;
    instance?: string;
    errors?: Array<FieldProblem>;
};
/**
 * The task's id.
 */
export type TaskId = number;
/**
 * `*`, or a comma-separated list of RFC 9110 entity tags: `"…"` or weak `W/"…"`.
 */
export type IfMatch = string;
/**
 * `*`, or a comma-separated list of RFC 9110 entity tags: `"…"` or weak `W/"…"`.
 */
export type IfNoneMatch = string;
/**
 * A key the client chose for this request (a fresh UUID per intended change), scoped to the
 * user: the first request with it is executed, and a retry with the same key, method, path and
 * body gets the stored response again (with `Idempotent-Replayed: true`) without executing it
 * twice. The same key with a different request is a 422. A retry sent while the first request
 * is still running waits for its outcome. Keys are kept for 24 hours (configurable); error
 * responses are not stored, so a request that failed can be retried with its key.
 *
 */
export type IdempotencyKey = string;
export type ListTasksData = {
    body?: never;
    headers?: {
        /**
         * `*`, or a comma-separated list of RFC 9110 entity tags: `"…"` or weak `W/"…"`.
         */
        'If-None-Match'?: string;
    };
    path?: never;
    query?: {
        /**
         * Completion filter.
         */
        status?: StatusFilter;
        /**
         * Sort key; a leading `-` sorts descending. Ties are broken by id.
         */
        sort?: TaskSort;
        /**
         * Case-insensitive substring searched in title and description.
         */
        q?: string;
        /**
         * Only tasks carrying this tag.
         */
        tag?: Tag;
        /**
         * Page size.
         */
        limit?: number;
        /**
         * Opaque cursor from a previous page's `Link` header, valid only for the same user with the
         * same filters and sort. It is encrypted and authenticated with a server key, so it reveals
         * nothing (no title or date) and cannot be forged. Like a task id, it refers to something
         * the server issued: a well-formed cursor that was not issued to this user for this query
         * (or was issued before the server's cursor key changed) is a 404. The example has the
         * shape of a real cursor, sealed with a throwaway key, so every server answers it with 404.
         *
         */
        cursor?: string;
    };
    url: '/api/tasks';
};
export type ListTasksErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * The cursor is well-formed but was not issued for this query (filters and sort).
     */
    404: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type ListTasksError = ListTasksErrors[keyof ListTasksErrors];
export type ListTasksResponses = {
    /**
     * One page of the caller's tasks.
     */
    200: Array<Task>;
};
export type ListTasksResponse = ListTasksResponses[keyof ListTasksResponses];
export type CreateTaskData = {
    body: TaskCreate;
    headers?: {
        /**
         * A key the client chose for this request (a fresh UUID per intended change), scoped to the
         * user: the first request with it is executed, and a retry with the same key, method, path and
         * body gets the stored response again (with `Idempotent-Replayed: true`) without executing it
         * twice. The same key with a different request is a 422. A retry sent while the first request
         * is still running waits for its outcome. Keys are kept for 24 hours (configurable); error
         * responses are not stored, so a request that failed can be retried with its key.
         *
         */
        'Idempotency-Key'?: string;
    };
    path?: never;
    query?: never;
    url: '/api/tasks';
};
export type CreateTaskErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * The caller already keeps the most tasks one user may (10,000 by default); nothing was stored.
     */
    409: Problem;
    /**
     * The request body exceeds the server's limit (64 KiB by default); nothing was read past it or changed.
     */
    413: Problem;
    /**
     * The request body is not `application/json`; nothing was changed.
     */
    415: Problem;
    /**
     * The `Idempotency-Key` was already used for a different request (method, path or body); nothing was changed.
     */
    422: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type CreateTaskError = CreateTaskErrors[keyof CreateTaskErrors];
export type CreateTaskResponses = {
    /**
     * The created task (or, for a retried `Idempotency-Key`, the stored response).
     */
    201: Task;
};
export type CreateTaskResponse = CreateTaskResponses[keyof CreateTaskResponses];
export type DeleteTaskData = {
    body?: never;
    headers?: {
        /**
         * `*`, or a comma-separated list of RFC 9110 entity tags: `"…"` or weak `W/"…"`.
         */
        'If-Match'?: string;
        /**
         * A key the client chose for this request (a fresh UUID per intended change), scoped to the
         * user: the first request with it is executed, and a retry with the same key, method, path and
         * body gets the stored response again (with `Idempotent-Replayed: true`) without executing it
         * twice. The same key with a different request is a 422. A retry sent while the first request
         * is still running waits for its outcome. Keys are kept for 24 hours (configurable); error
         * responses are not stored, so a request that failed can be retried with its key.
         *
         */
        'Idempotency-Key'?: string;
    };
    path: {
        /**
         * The task's id.
         */
        task_id: number;
    };
    query?: never;
    url: '/api/tasks/{task_id}';
};
export type DeleteTaskErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * No such task for this user.
     */
    404: Problem;
    /**
     * `If-Match` names none of the task's current entity tags; nothing was changed. The `ETag` header
     * is the current one: fetch the task, reconcile, and retry with it.
     *
     */
    412: Problem;
    /**
     * The `Idempotency-Key` was already used for a different request (method, path or body); nothing was changed.
     */
    422: Problem;
    /**
     * The server requires `If-Match` on writes (`REQUIRE_IF_MATCH`); nothing was changed.
     */
    428: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type DeleteTaskError = DeleteTaskErrors[keyof DeleteTaskErrors];
export type DeleteTaskResponses = {
    /**
     * Deleted (or, for a retried `Idempotency-Key`, the stored response).
     */
    204: void;
};
export type DeleteTaskResponse = DeleteTaskResponses[keyof DeleteTaskResponses];
export type GetTaskData = {
    body?: never;
    headers?: {
        /**
         * `*`, or a comma-separated list of RFC 9110 entity tags: `"…"` or weak `W/"…"`.
         */
        'If-None-Match'?: string;
    };
    path: {
        /**
         * The task's id.
         */
        task_id: number;
    };
    query?: never;
    url: '/api/tasks/{task_id}';
};
export type GetTaskErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * No such task for this user.
     */
    404: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type GetTaskError = GetTaskErrors[keyof GetTaskErrors];
export type GetTaskResponses = {
    /**
     * The task.
     */
    200: Task;
};
export type GetTaskResponse = GetTaskResponses[keyof GetTaskResponses];
export type PatchTaskData = {
    body: TaskPatch;
    headers?: {
        /**
         * `*`, or a comma-separated list of RFC 9110 entity tags: `"…"` or weak `W/"…"`.
         */
        'If-Match'?: string;
        /**
         * A key the client chose for this request (a fresh UUID per intended change), scoped to the
         * user: the first request with it is executed, and a retry with the same key, method, path and
         * body gets the stored response again (with `Idempotent-Replayed: true`) without executing it
         * twice. The same key with a different request is a 422. A retry sent while the first request
         * is still running waits for its outcome. Keys are kept for 24 hours (configurable); error
         * responses are not stored, so a request that failed can be retried with its key.
         *
         */
        'Idempotency-Key'?: string;
    };
    path: {
        /**
         * The task's id.
         */
        task_id: number;
    };
    query?: never;
    url: '/api/tasks/{task_id}';
};
export type PatchTaskErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * No such task for this user.
     */
    404: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * `If-Match` names none of the task's current entity tags; nothing was changed. The `ETag` header
     * is the current one: fetch the task, reconcile, and retry with it.
     *
     */
    412: Problem;
    /**
     * The request body exceeds the server's limit (64 KiB by default); nothing was read past it or changed.
     */
    413: Problem;
    /**
     * The request body is not `application/json`; nothing was changed.
     */
    415: Problem;
    /**
     * The `Idempotency-Key` was already used for a different request (method, path or body); nothing was changed.
     */
    422: Problem;
    /**
     * The server requires `If-Match` on writes (`REQUIRE_IF_MATCH`); nothing was changed.
     */
    428: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type PatchTaskError = PatchTaskErrors[keyof PatchTaskErrors];
export type PatchTaskResponses = {
    /**
     * The updated task.
     */
    200: Task;
};
export type PatchTaskResponse = PatchTaskResponses[keyof PatchTaskResponses];
export type ReplaceTaskData = {
    body: TaskReplace;
    headers?: {
        /**
         * `*`, or a comma-separated list of RFC 9110 entity tags: `"…"` or weak `W/"…"`.
         */
        'If-Match'?: string;
        /**
         * A key the client chose for this request (a fresh UUID per intended change), scoped to the
         * user: the first request with it is executed, and a retry with the same key, method, path and
         * body gets the stored response again (with `Idempotent-Replayed: true`) without executing it
         * twice. The same key with a different request is a 422. A retry sent while the first request
         * is still running waits for its outcome. Keys are kept for 24 hours (configurable); error
         * responses are not stored, so a request that failed can be retried with its key.
         *
         */
        'Idempotency-Key'?: string;
    };
    path: {
        /**
         * The task's id.
         */
        task_id: number;
    };
    query?: never;
    url: '/api/tasks/{task_id}';
};
export type ReplaceTaskErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * No such task for this user.
     */
    404: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * `If-Match` names none of the task's current entity tags; nothing was changed. The `ETag` header
     * is the current one: fetch the task, reconcile, and retry with it.
     *
     */
    412: Problem;
    /**
     * The request body exceeds the server's limit (64 KiB by default); nothing was read past it or changed.
     */
    413: Problem;
    /**
     * The request body is not `application/json`; nothing was changed.
     */
    415: Problem;
    /**
     * The `Idempotency-Key` was already used for a different request (method, path or body); nothing was changed.
     */
    422: Problem;
    /**
     * The server requires `If-Match` on writes (`REQUIRE_IF_MATCH`); nothing was changed.
     */
    428: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type ReplaceTaskError = ReplaceTaskErrors[keyof ReplaceTaskErrors];
export type ReplaceTaskResponses = {
    /**
     * The replaced task.
     */
    200: Task;
};
export type ReplaceTaskResponse = ReplaceTaskResponses[keyof ReplaceTaskResponses];
export type CompleteTaskData = {
    body?: CompletionUpdate;
    headers?: {
        /**
         * `*`, or a comma-separated list of RFC 9110 entity tags: `"…"` or weak `W/"…"`.
         */
        'If-Match'?: string;
        /**
         * A key the client chose for this request (a fresh UUID per intended change), scoped to the
         * user: the first request with it is executed, and a retry with the same key, method, path and
         * body gets the stored response again (with `Idempotent-Replayed: true`) without executing it
         * twice. The same key with a different request is a 422. A retry sent while the first request
         * is still running waits for its outcome. Keys are kept for 24 hours (configurable); error
         * responses are not stored, so a request that failed can be retried with its key.
         *
         */
        'Idempotency-Key'?: string;
    };
    path: {
        /**
         * The task's id.
         */
        task_id: number;
    };
    query?: never;
    url: '/api/tasks/{task_id}/complete';
};
export type CompleteTaskErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * No such task for this user.
     */
    404: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * `If-Match` names none of the task's current entity tags; nothing was changed. The `ETag` header
     * is the current one: fetch the task, reconcile, and retry with it.
     *
     */
    412: Problem;
    /**
     * The request body exceeds the server's limit (64 KiB by default); nothing was read past it or changed.
     */
    413: Problem;
    /**
     * The request body is not `application/json`; nothing was changed.
     */
    415: Problem;
    /**
     * The `Idempotency-Key` was already used for a different request (method, path or body); nothing was changed.
     */
    422: Problem;
    /**
     * The server requires `If-Match` on writes (`REQUIRE_IF_MATCH`); nothing was changed.
     */
    428: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type CompleteTaskError = CompleteTaskErrors[keyof CompleteTaskErrors];
export type CompleteTaskResponses = {
    /**
     * The updated task.
     */
    200: Task;
};
export type CompleteTaskResponse = CompleteTaskResponses[keyof CompleteTaskResponses];
export type ListChangesData = {
    body?: never;
    path?: never;
    query?: {
        /**
         * The `next` token of a previous page; absent for a full initial sync.
         */
        since?: SyncToken;
        /**
         * Page size (changes per page).
         */
        limit?: number;
    };
    url: '/api/tasks/changes';
};
export type ListChangesErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * The sync token is older than the tombstone retention, or was not issued to the caller:
     * changes may have been forgotten. Drop the local copy and sync again without `since`.
     *
     */
    410: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type ListChangesError = ListChangesErrors[keyof ListChangesErrors];
export type ListChangesResponses = {
    /**
     * One page of changes, and the token to continue from.
     */
    200: ChangePage;
};
export type ListChangesResponse = ListChangesResponses[keyof ListChangesResponses];
export type StreamTaskEventsData = {
    body?: never;
    headers?: {
        /**
         * The `id` of the last event received, sent when reconnecting.
         */
        'Last-Event-ID'?: string;
    };
    path?: never;
    query?: never;
    url: '/api/tasks/events';
};
export type StreamTaskEventsErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * The caller already has the maximum number of open event streams.
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type StreamTaskEventsError = StreamTaskEventsErrors[keyof StreamTaskEventsErrors];
export type StreamTaskEventsResponses = {
    /**
     * The event stream.
     */
    200: SyncEvent;
};
export type StreamTaskEventsResponse = StreamTaskEventsResponses[keyof StreamTaskEventsResponses];
export type BulkUpdateTasksData = {
    body: BulkRequest;
    headers?: {
        /**
         * A key the client chose for this request (a fresh UUID per intended change), scoped to the
         * user: the first request with it is executed, and a retry with the same key, method, path and
         * body gets the stored response again (with `Idempotent-Replayed: true`) without executing it
         * twice. The same key with a different request is a 422. A retry sent while the first request
         * is still running waits for its outcome. Keys are kept for 24 hours (configurable); error
         * responses are not stored, so a request that failed can be retried with its key.
         *
         */
        'Idempotency-Key'?: string;
    };
    path?: never;
    query?: never;
    url: '/api/tasks/bulk';
};
export type BulkUpdateTasksErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * The request body exceeds the server's limit (64 KiB by default); nothing was read past it or changed.
     */
    413: Problem;
    /**
     * The request body is not `application/json`; nothing was changed.
     */
    415: Problem;
    /**
     * The `Idempotency-Key` was already used for a different request (method, path or body); nothing was changed.
     */
    422: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type BulkUpdateTasksError = BulkUpdateTasksErrors[keyof BulkUpdateTasksErrors];
export type BulkUpdateTasksResponses = {
    /**
     * The outcome for each requested id.
     */
    200: BulkResult;
};
export type BulkUpdateTasksResponse = BulkUpdateTasksResponses[keyof BulkUpdateTasksResponses];
export type ClearCompletedTasksData = {
    body?: never;
    headers?: {
        /**
         * A key the client chose for this request (a fresh UUID per intended change), scoped to the
         * user: the first request with it is executed, and a retry with the same key, method, path and
         * body gets the stored response again (with `Idempotent-Replayed: true`) without executing it
         * twice. The same key with a different request is a 422. A retry sent while the first request
         * is still running waits for its outcome. Keys are kept for 24 hours (configurable); error
         * responses are not stored, so a request that failed can be retried with its key.
         *
         */
        'Idempotency-Key'?: string;
    };
    path?: never;
    query?: never;
    url: '/api/tasks/completed';
};
export type ClearCompletedTasksErrors = {
    /**
     * The request does not satisfy the contract; nothing was changed.
     */
    400: Problem;
    /**
     * Missing, malformed, oversized, expired or badly signed bearer token. Each one counts against
     * the client address's `"address"` limit (see `RateLimit`).
     *
     */
    401: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * The `Idempotency-Key` was already used for a different request (method, path or body); nothing was changed.
     */
    422: Problem;
    /**
     * A rate limit is spent (`RateLimit` shows `r=0` for it); nothing was changed. Retry after
     * `Retry-After` seconds. A client address that sent too many requests with a missing or invalid
     * token is refused before its token is read.
     *
     */
    429: Problem;
    /**
     * An unexpected error; no internals are disclosed.
     */
    500: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type ClearCompletedTasksError = ClearCompletedTasksErrors[keyof ClearCompletedTasksErrors];
export type ClearCompletedTasksResponses = {
    /**
     * How many tasks were deleted.
     */
    200: ClearResult;
};
export type ClearCompletedTasksResponse = ClearCompletedTasksResponses[keyof ClearCompletedTasksResponses];
export type GetHealthData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/healthz';
};
export type GetHealthErrors = {
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
};
export type GetHealthError = GetHealthErrors[keyof GetHealthErrors];
export type GetHealthResponses = {
    /**
     * The process is alive.
     */
    200: Health;
};
export type GetHealthResponse = GetHealthResponses[keyof GetHealthResponses];
export type GetReadinessData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/readyz';
};
export type GetReadinessErrors = {
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * The database cannot be reached right now; retry later.
     */
    503: Problem;
};
export type GetReadinessError = GetReadinessErrors[keyof GetReadinessErrors];
export type GetReadinessResponses = {
    /**
     * The database answers.
     */
    200: Health;
};
export type GetReadinessResponse = GetReadinessResponses[keyof GetReadinessResponses];
