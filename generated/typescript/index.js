// Hand-written entry point of @todo-api/client (source: clients/typescript/src/index.ts; `make client`
// compiles it into generated/typescript/). The generator knows the operations but not where the API
// lives, whose token to send, or how this API links pages, so those three things live here.
import { createClient } from './gen/client/index.js';
export * from './gen/index.js';
export { client } from './gen/client.gen.js';
export { createClient, createConfig } from './gen/client/index.js';
/** A client bound to one API origin and one user's token; pass it as `client` to any operation. */
export function createTodoClient(options) {
    return createClient({
        baseUrl: options.baseUrl,
        auth: async () => (await options.token()) ?? undefined,
        ...(options.fetch ? { fetch: options.fetch } : {}),
    });
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
