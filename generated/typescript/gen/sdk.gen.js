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
 * Liveness probe
 */
export const getHealth = (options) => (options?.client ?? client).get({ url: '/healthz', ...options });
/**
 * Readiness probe (database reachable)
 */
export const getReadiness = (options) => (options?.client ?? client).get({ url: '/readyz', ...options });
