import type { Client, Options as Options2, TDataShape } from './client/index.js';
import type { CompleteTaskData, CompleteTaskErrors, CompleteTaskResponses, CreateTaskData, CreateTaskErrors, CreateTaskResponses, DeleteTaskData, DeleteTaskErrors, DeleteTaskResponses, GetHealthData, GetHealthErrors, GetHealthResponses, GetReadinessData, GetReadinessErrors, GetReadinessResponses, GetTaskData, GetTaskErrors, GetTaskResponses, ListTasksData, ListTasksErrors, ListTasksResponses, PatchTaskData, PatchTaskErrors, PatchTaskResponses, ReplaceTaskData, ReplaceTaskErrors, ReplaceTaskResponses } from './types.gen.js';
export type Options<TData extends TDataShape = TDataShape, ThrowOnError extends boolean = boolean, TResponse = unknown> = Options2<TData, ThrowOnError, TResponse> & {
    /**
     * You can provide a client instance returned by `createClient()` instead of
     * individual options. This might be also useful if you want to implement a
     * custom client.
     */
    client?: Client;
    /**
     * You can pass arbitrary values through the `meta` object. This can be
     * used to access values that aren't defined as part of the SDK function.
     */
    meta?: Record<string, unknown>;
};
/**
 * List the caller's tasks
 *
 * Keyset-paginated: when more tasks remain, the response carries a `Link` header with
 * `rel="next"` whose URL holds an opaque `cursor`. Pages are stable under concurrent inserts.
 *
 */
export declare const listTasks: <ThrowOnError extends boolean = false>(options?: Options<ListTasksData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<ListTasksResponses, ListTasksErrors, ThrowOnError, "fields">;
/**
 * Create a task
 */
export declare const createTask: <ThrowOnError extends boolean = false>(options: Options<CreateTaskData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<CreateTaskResponses, CreateTaskErrors, ThrowOnError, "fields">;
/**
 * Delete a task
 */
export declare const deleteTask: <ThrowOnError extends boolean = false>(options: Options<DeleteTaskData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<DeleteTaskResponses, DeleteTaskErrors, ThrowOnError, "fields">;
/**
 * Get one task
 */
export declare const getTask: <ThrowOnError extends boolean = false>(options: Options<GetTaskData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<GetTaskResponses, GetTaskErrors, ThrowOnError, "fields">;
/**
 * Partially update a task (JSON merge patch)
 *
 * Absent fields are kept; `null` clears a nullable field. An empty patch changes nothing (not
 * even `version` or `updated_at`).
 *
 */
export declare const patchTask: <ThrowOnError extends boolean = false>(options: Options<PatchTaskData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<PatchTaskResponses, PatchTaskErrors, ThrowOnError, "fields">;
/**
 * Replace a task's editable fields
 *
 * Omitted optional fields take their defaults.
 */
export declare const replaceTask: <ThrowOnError extends boolean = false>(options: Options<ReplaceTaskData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<ReplaceTaskResponses, ReplaceTaskErrors, ThrowOnError, "fields">;
/**
 * Toggle or set a task's completion
 *
 * With no body, toggles completion; with `{"completed": …}`, sets it. `completed_at` follows.
 * A toggle is not idempotent: send an `Idempotency-Key` so that a retry cannot toggle twice.
 *
 */
export declare const completeTask: <ThrowOnError extends boolean = false>(options: Options<CompleteTaskData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<CompleteTaskResponses, CompleteTaskErrors, ThrowOnError, "fields">;
/**
 * Liveness probe
 */
export declare const getHealth: <ThrowOnError extends boolean = false>(options?: Options<GetHealthData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<GetHealthResponses, GetHealthErrors, ThrowOnError, "fields">;
/**
 * Readiness probe (database reachable)
 */
export declare const getReadiness: <ThrowOnError extends boolean = false>(options?: Options<GetReadinessData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<GetReadinessResponses, GetReadinessErrors, ThrowOnError, "fields">;
