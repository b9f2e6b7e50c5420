// Hand-written entry point of @todo-api/client (source: clients/typescript/src/index.ts; `make client`
// compiles it into generated/typescript/). The generator knows the operations but not where the API
// lives, whose token to send, or how this API links pages, so those things live here. The generator's
// raw operations and its unconfigured default client are deliberately not exported: a call that could
// forget the client would silently go to the contract's example server without a token.
import { createClient } from './gen/client/index.js';
import * as operations from './gen/sdk.gen.js';
/**
 * No HTTP answer: the network failed, the request was aborted, or the browser blocked the response
 * (a CORS failure looks exactly like this to a script). `cause` is what `fetch` threw.
 */
export class TodoTransportError extends Error {
    request;
    name = 'TodoTransportError';
    constructor(
    /** The request that got no answer. */
    request, options) {
        const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
        super(`No answer from the Todo API${request ? ` for ${request.method} ${request.url}` : ''}: ${reason}`, options);
        this.request = request;
    }
}
function isProblem(value) {
    return typeof value === 'object' && value !== null && 'status' in value && 'title' in value;
}
async function settle(pending) {
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
        return { data: undefined, error: problem, response };
    }
    // The generator resolves a body-less 204 or 304 as `{}`; the contract says there is nothing.
    const bodiless = response.status === 204 || response.status === 304;
    return { data: (bodiless ? undefined : data), error: undefined, response };
}
/** Creates the only way to call the API: the operations bound to `baseUrl` and the user's token. */
export function createTodoClient(options) {
    const client = createClient({
        baseUrl: options.baseUrl,
        auth: async () => (await options.token()) ?? undefined,
        ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    const bound = { client, throwOnError: false };
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
export function nextCursor(response) {
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
export function etagOf(task) {
    return `"${task.id}-${task.version}"`;
}
/** The `ETag` of a response (a task's or a page's), to send back in `If-Match` or `If-None-Match`. */
export function responseEtag(response) {
    return response?.headers.get('ETag') ?? undefined;
}
/** A new `Idempotency-Key` for one intended change; send the same key with every retry of it. */
export function newIdempotencyKey() {
    return globalThis.crypto.randomUUID();
}
/** Whether the response is the stored one of an earlier request with the same `Idempotency-Key`. */
export function wasReplayed(response) {
    return response?.headers.get('Idempotent-Replayed') === 'true';
}
