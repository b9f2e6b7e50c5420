// Generated from openapi/tasks.yaml by `make client`; never edit by hand.
import { client } from './client.gen.js';
/**
 * List the caller's tasks
 *
 * Keyset-paginated: when more tasks remain, the response carries a `Link` header with
 * `rel="next"` whose URL holds an opaque `cursor`. Pages are stable under concurrent inserts.
 *
 */
export const listTasks = (options) => (options?.client ?? client).get({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks',
    ...options
});
/**
 * Create a task
 */
export const createTask = (options) => (options.client ?? client).post({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks',
    ...options,
    headers: {
        'Content-Type': 'application/json',
        ...options.headers
    }
});
/**
 * Delete a task
 */
export const deleteTask = (options) => (options.client ?? client).delete({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks/{task_id}',
    ...options
});
/**
 * Get one task
 */
export const getTask = (options) => (options.client ?? client).get({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks/{task_id}',
    ...options
});
/**
 * Partially update a task (JSON merge patch)
 *
 * Absent fields are kept; `null` clears a nullable field. An empty patch changes nothing (not
 * even `version` or `updated_at`).
 *
 */
export const patchTask = (options) => (options.client ?? client).patch({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks/{task_id}',
    ...options,
    headers: {
        'Content-Type': 'application/json',
        ...options.headers
    }
});
/**
 * Replace a task's editable fields
 *
 * Omitted optional fields take their defaults.
 */
export const replaceTask = (options) => (options.client ?? client).put({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks/{task_id}',
    ...options,
    headers: {
        'Content-Type': 'application/json',
        ...options.headers
    }
});
/**
 * Toggle or set a task's completion
 *
 * With no body, toggles completion; with `{"completed": …}`, sets it. `completed_at` follows.
 * A toggle is not idempotent: send an `Idempotency-Key` so that a retry cannot toggle twice.
 *
 */
export const completeTask = (options) => (options.client ?? client).patch({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks/{task_id}/complete',
    ...options,
    headers: {
        'Content-Type': 'application/json',
        ...options.headers
    }
});
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
export const listChanges = (options) => (options?.client ?? client).get({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks/changes',
    ...options
});
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
export const streamTaskEvents = (options) => (options?.client ?? client).sse.get({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks/events',
    ...options
});
/**
 * Complete, reopen or delete a set of tasks at once
 *
 * One atomic change of up to 100 tasks: every task named is changed, or none is. The result
 * lists each requested id in request order with its outcome; an id that does not exist and an
 * id of someone else's task are both `not_found`. Each change appears in the change feed.
 *
 */
export const bulkUpdateTasks = (options) => (options.client ?? client).post({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks/bulk',
    ...options,
    headers: {
        'Content-Type': 'application/json',
        ...options.headers
    }
});
/**
 * Delete all of the caller's completed tasks
 *
 * Like Google Tasks' `clear`. Each deletion leaves a tombstone in the change feed.
 */
export const clearCompletedTasks = (options) => (options?.client ?? client).delete({
    security: [{ scheme: 'bearer', type: 'http' }],
    url: '/api/tasks/completed',
    ...options
});
/**
 * Liveness probe
 */
export const getHealth = (options) => (options?.client ?? client).get({ url: '/healthz', ...options });
/**
 * Readiness probe (database reachable)
 */
export const getReadiness = (options) => (options?.client ?? client).get({ url: '/readyz', ...options });
