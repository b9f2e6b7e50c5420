import type { Client, Options as Options2, TDataShape } from './client/index.js';
import type { BulkUpdateTasksData, BulkUpdateTasksErrors, BulkUpdateTasksResponses, ClearCompletedTasksData, ClearCompletedTasksErrors, ClearCompletedTasksResponses, CompleteTaskData, CompleteTaskErrors, CompleteTaskResponses, CreateTaskData, CreateTaskErrors, CreateTaskResponses, DeleteTaskData, DeleteTaskErrors, DeleteTaskResponses, GetHealthData, GetHealthErrors, GetHealthResponses, GetReadinessData, GetReadinessErrors, GetReadinessResponses, GetTaskData, GetTaskErrors, GetTaskResponses, ListChangesData, ListChangesErrors, ListChangesResponses, ListTasksData, ListTasksErrors, ListTasksResponses, PatchTaskData, PatchTaskErrors, PatchTaskResponses, ReplaceTaskData, ReplaceTaskErrors, ReplaceTaskResponses, StreamTaskEventsData, StreamTaskEventsErrors, StreamTaskEventsResponse, StreamTaskEventsResponses } from './types.gen.js';
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
 * What changed since a sync token
 *
 * The caller's changes in the order they were made: created and changed tasks in full,
 * deleted tasks as tombstones (id and deletion time). Without `since` it is a full initial
 * sync. Each page ends with `next`, the token to pass as `since` for the following page (when
 * `more` is true) or for the next sync (when it is false). A token is opaque and valid only for
 * the user it was issued to. A change is never made visible behind a token already issued, so
 * syncing from the last `next` misses nothing and repeats nothing. Tombstones are kept for a
 * retention period (30 days by default); a token older than that, or one not issued to the
 * caller, is answered with `410 Gone`: drop the local copy and sync again without `since`.
 *
 */
export declare const listChanges: <ThrowOnError extends boolean = false>(options?: Options<ListChangesData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<ListChangesResponses, ListChangesErrors, ThrowOnError, "fields">;
/**
 * Server-sent events announcing the caller's changes
 *
 * A `text/event-stream` (server-sent events). Each event's `data` is a `SyncEvent` (JSON) and its
 * `event` field names its `type`:
 *
 * - `sync`: the caller's changes have reached sequence number `seq` (also the event's `id`);
 * pull `listChanges` from your last token. The first event of a stream is the current
 * position, unless `Last-Event-ID` shows the client already has it.
 * - `resync`: the server may have missed announcements (its database listener reconnected);
 * pull `listChanges` now.
 *
 * Comment lines (`: heartbeat`) are sent periodically so proxies keep the stream open. The
 * server ends a stream after a maximum duration and at shutdown; reconnect with
 * `Last-Event-ID`. Streams are capped per user (`429`) and per server process (`503`).
 * On the wire:
 *
 * event: sync
 * id: 12
 * data: {"type":"sync","seq":12}
 *
 * : heartbeat
 *
 */
export declare const streamTaskEvents: <ThrowOnError extends boolean = false>(options?: Options<StreamTaskEventsData, ThrowOnError, StreamTaskEventsResponse>) => Promise<import("./core/serverSentEvents.gen.js").ServerSentEventsResult<StreamTaskEventsResponses, StreamTaskEventsErrors>>;
/**
 * Complete, reopen or delete a set of tasks at once
 *
 * One atomic change of up to 100 tasks: every task named is changed, or none is. The result
 * lists each requested id in request order with its outcome; an id that does not exist and an
 * id of someone else's task are both `not_found`. Each change appears in the change feed.
 *
 */
export declare const bulkUpdateTasks: <ThrowOnError extends boolean = false>(options: Options<BulkUpdateTasksData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<BulkUpdateTasksResponses, BulkUpdateTasksErrors, ThrowOnError, "fields">;
/**
 * Delete all of the caller's completed tasks
 *
 * Like Google Tasks' `clear`. Each deletion leaves a tombstone in the change feed.
 */
export declare const clearCompletedTasks: <ThrowOnError extends boolean = false>(options?: Options<ClearCompletedTasksData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<ClearCompletedTasksResponses, ClearCompletedTasksErrors, ThrowOnError, "fields">;
/**
 * Liveness probe
 */
export declare const getHealth: <ThrowOnError extends boolean = false>(options?: Options<GetHealthData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<GetHealthResponses, GetHealthErrors, ThrowOnError, "fields">;
/**
 * Readiness probe (database reachable)
 */
export declare const getReadiness: <ThrowOnError extends boolean = false>(options?: Options<GetReadinessData, ThrowOnError>) => import("./client/types.gen.js").RequestResult<GetReadinessResponses, GetReadinessErrors, ThrowOnError, "fields">;
