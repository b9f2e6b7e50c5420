export type ClientOptions = {
    baseUrl: 'http://127.0.0.1:8000' | (string & {});
};
export type StatusFilter = 'all' | 'pending' | 'completed';
export type TaskSort = 'created_at' | '-created_at' | 'updated_at' | '-updated_at' | 'title' | '-title' | 'due_at' | '-due_at' | 'priority' | '-priority';
export type Priority = 'low' | 'medium' | 'high';
/**
 * Leading and trailing white space is removed; must contain a non-space character.
 */
export type Title = string;
export type Description = string | null;
/**
 * RFC 3339 date-time with an offset; returned in UTC. It is stored in UTC, so the first and the
 * last day of the representable range (0001-01-01, 9999-12-31), where an offset could carry
 * the instant out of it, are not accepted.
 *
 */
export type DueAt = string | null;
/**
 * A label; no leading or trailing white space.
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
    completed_at: string | null;
    due_at: string | null;
    priority: Priority;
    tags: Array<string>;
    created_at: string;
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
         * Opaque cursor from a previous page's `Link` header, valid only with the same filters and
         * sort. Like a task id, it refers to something the server issued: a well-formed cursor that
         * was not issued for this query is a 404. The example is the cursor after the `TaskPage`
         * example's task for the other parameters' examples.
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
     * Missing, malformed, expired or badly signed bearer token.
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
     * Missing, malformed, expired or badly signed bearer token.
     */
    401: Problem;
    /**
     * The `Accept` header rules out `application/json`, the only representation; nothing was changed.
     */
    406: Problem;
    /**
     * The request body is not `application/json`; nothing was changed.
     */
    415: Problem;
    /**
     * The `Idempotency-Key` was already used for a different request (method, path or body); nothing was changed.
     */
    422: Problem;
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
     * Missing, malformed, expired or badly signed bearer token.
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
     * Missing, malformed, expired or badly signed bearer token.
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
     * Missing, malformed, expired or badly signed bearer token.
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
     * Missing, malformed, expired or badly signed bearer token.
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
     * Missing, malformed, expired or badly signed bearer token.
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
