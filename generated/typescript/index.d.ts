import { type Client } from './gen/client/index.js';
export * from './gen/index.js';
export { client } from './gen/client.gen.js';
export { createClient, createConfig } from './gen/client/index.js';
export type { Client, Config, RequestResult } from './gen/client/index.js';
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
/** A client bound to one API origin and one user's token; pass it as `client` to any operation. */
export declare function createTodoClient(options: TodoClientOptions): Client;
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
