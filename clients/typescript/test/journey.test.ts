// A frontend's whole journey through the generated client, against a live server. Started by
// tests/test_typescript_client.py, which passes the server and two users' tokens in the environment.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  createTodoClient,
  etagOf,
  newIdempotencyKey,
  nextCursor,
  responseEtag,
  TodoTransportError,
  wasReplayed,
  type TodoClient,
  type TodoResult,
  type ListTasksData,
  type Problem,
  type SyncEvent,
  type Task,
  type TaskCreate,
} from '../../../generated/typescript/index.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} must be set (see tests/test_typescript_client.py)`);
  }
  return value;
}

const baseUrl = env('TODO_API_BASE_URL');
const alice = createTodoClient({ baseUrl, token: () => env('TODO_API_TOKEN') });
const bob = createTodoClient({ baseUrl, token: async () => env('TODO_API_OTHER_TOKEN') });

type Outcome<T> = TodoResult<T>;

/** The body of a successful call; fails with the server's problem details otherwise. */
function ok<T>(outcome: Outcome<T>, status = 200): T {
  assert.equal(outcome.error, undefined, `expected ${status}, got ${JSON.stringify(outcome.error)}`);
  assert.equal(outcome.response.status, status);
  assert.ok(outcome.data !== undefined);
  return outcome.data;
}

/** The problem details of a failed call, as the frontend sees them. */
function problem(outcome: Outcome<unknown>, status: number): Problem {
  assert.equal(outcome.data, undefined);
  assert.equal(outcome.response.status, status);
  assert.equal(outcome.response.headers.get('Content-Type'), 'application/problem+json');
  assert.ok(outcome.error !== undefined);
  const details: Problem = outcome.error;
  assert.equal(details.status, status);
  return details;
}

/** What a form would do with a 400: one message per field, keyed by JSON pointer. */
function fieldErrors(details: Problem): Map<string, string> {
  return new Map((details.errors ?? []).map((e) => [e.pointer, e.detail]));
}

async function listAll(client: TodoClient, query: NonNullable<ListTasksData['query']>): Promise<Task[]> {
  const tasks: Task[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const outcome = await client.listTasks({ query: cursor ? { ...query, cursor } : query });
    tasks.push(...ok(outcome));
    cursor = nextCursor(outcome.response);
    if (cursor === undefined) {
      return tasks;
    }
  }
  throw new Error('pagination did not end within 100 pages');
}

const instant = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
const byTitle = (a: Task, b: Task): number => (a.title < b.title ? -1 : a.title > b.title ? 1 : a.id - b.id);

const seed: TaskCreate[] = [
  { title: 'Buy milk', description: 'Two litres', due_at: '2026-12-01T17:00:00+01:00', priority: 'high', tags: ['groceries', 'home'] },
  { title: 'Call the plumber', due_at: '2026-11-30T09:30:00Z', priority: 'medium', tags: ['home'] },
  { title: 'File taxes', due_at: '2027-04-15T23:59:00-04:00', priority: 'high', tags: ['admin'] },
  { title: 'Water plants', priority: 'low', tags: ['home'] },
  { title: 'Book dentist', due_at: '2026-12-10T08:00:00+00:00', tags: ['health'] },
  { title: 'Renew passport', due_at: '2027-01-20T12:00:00+09:00', priority: 'medium', tags: ['admin'] },
  { title: 'Answer email' },
];

describe('generated TypeScript client, one user journey', () => {
  const created: Task[] = [];

  before(async () => {
    // The server is fresh, but re-runs against the same server must still see only their own tasks.
    for (const task of await listAll(alice, {})) {
      const deleted = await alice.deleteTask({ path: { task_id: task.id } });
      assert.equal(deleted.response.status, 204, JSON.stringify(deleted.error));
    }
  });

  after(async () => {
    for (const task of await listAll(bob, {})) {
      await bob.deleteTask({ path: { task_id: task.id } });
    }
  });

  it('creates tasks with due dates, priorities and tags', async () => {
    for (const body of seed) {
      const outcome = await alice.createTask({ body });
      const task = ok(outcome, 201);
      assert.equal(outcome.response.headers.get('Location'), `/api/tasks/${task.id}`);
      assert.equal(task.title, body.title);
      assert.equal(task.description, body.description ?? null);
      assert.equal(task.priority, body.priority ?? 'medium');
      assert.deepEqual(task.tags, body.tags ?? []);
      assert.equal(task.completed, false);
      assert.equal(task.completed_at, null);
      assert.equal(instant(task.due_at), instant(body.due_at ?? null));
      if (task.due_at !== null) {
        assert.match(task.due_at, /(Z|\+00:00)$/, 'due_at comes back in UTC');
      }
      created.push(task);
    }
    assert.equal(new Set(created.map((t) => t.id)).size, seed.length);
  });

  it('lists with filters and sorting', async () => {
    const home = ok(await alice.listTasks({ query: { tag: 'home', sort: 'title' } }));
    assert.deepEqual(
      home.map((t) => t.title),
      ['Buy milk', 'Call the plumber', 'Water plants'],
    );

    const admin = ok(await alice.listTasks({ query: { tag: 'admin', sort: '-due_at' } }));
    assert.deepEqual(
      admin.map((t) => t.title),
      ['File taxes', 'Renew passport'],
    );

    const dated = ok(await alice.listTasks({ query: { sort: 'due_at' } })).filter((t) => t.due_at !== null);
    const dueTimes = dated.map((t) => instant(t.due_at) ?? 0);
    assert.deepEqual(dueTimes, [...dueTimes].sort((a, b) => a - b));
    assert.equal(dated.length, 5);

    const byPriority = ok(await alice.listTasks({ query: { sort: '-priority' } }));
    const rank = { low: 0, medium: 1, high: 2 } as const;
    const ranks = byPriority.map((t) => rank[t.priority]);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => b - a));
    assert.equal(byPriority.length, seed.length);

    const searched = ok(await alice.listTasks({ query: { q: 'LITRES' } }));
    assert.deepEqual(
      searched.map((t) => t.title),
      ['Buy milk'],
    );

    assert.equal(ok(await alice.listTasks({ query: { status: 'completed' } })).length, 0);
    assert.equal(ok(await alice.listTasks({ query: { status: 'pending' } })).length, seed.length);
  });

  it('follows the Link header page by page to the end', async () => {
    const first = await alice.listTasks({ query: { sort: 'title', limit: 2 } });
    assert.equal(ok(first).length, 2);
    assert.ok(nextCursor(first.response), 'a first page of 2 out of 7 links to the next one');

    const pages: number[] = [];
    let cursor: string | undefined;
    const seen: Task[] = [];
    do {
      const outcome = await alice.listTasks({
        query: cursor ? { sort: 'title', limit: 2, cursor } : { sort: 'title', limit: 2 },
      });
      const page = ok(outcome);
      pages.push(page.length);
      seen.push(...page);
      cursor = nextCursor(outcome.response);
    } while (cursor !== undefined && pages.length < 20);

    assert.deepEqual(pages, [2, 2, 2, 1]);
    assert.deepEqual(
      seen.map((t) => t.id),
      [...created].sort(byTitle).map((t) => t.id),
    );
  });

  it('gets one task', async () => {
    const milk = created[0]!;
    assert.deepEqual(ok(await alice.getTask({ path: { task_id: milk.id } })), milk);
  });

  it('replaces a task, resetting omitted fields to their defaults', async () => {
    const milk = created[0]!;
    const replaced = ok(
      await alice.replaceTask({
        path: { task_id: milk.id },
        body: { title: 'Buy oat milk', tags: ['groceries'], completed: true },
      }),
    );
    assert.equal(replaced.id, milk.id);
    assert.equal(replaced.title, 'Buy oat milk');
    assert.equal(replaced.description, null);
    assert.equal(replaced.due_at, null);
    assert.equal(replaced.priority, 'medium');
    assert.deepEqual(replaced.tags, ['groceries']);
    assert.equal(replaced.completed, true);
    assert.notEqual(replaced.completed_at, null);
    assert.equal(replaced.created_at, milk.created_at);
  });

  it('merge-patches a task, keeping absent fields and clearing nulls', async () => {
    const plumber = created[1]!;
    const patched = ok(
      await alice.patchTask({
        path: { task_id: plumber.id },
        body: { title: 'Call the electrician', due_at: null, description: 'Kitchen sockets' },
      }),
    );
    assert.equal(patched.title, 'Call the electrician');
    assert.equal(patched.due_at, null);
    assert.equal(patched.description, 'Kitchen sockets');
    assert.equal(patched.priority, plumber.priority);
    assert.deepEqual(patched.tags, plumber.tags);
    assert.equal(patched.completed, false);
  });

  it('toggles and sets completion', async () => {
    const taxes = created[2]!;
    const path = { task_id: taxes.id };
    const done = ok(await alice.completeTask({ path }));
    assert.equal(done.completed, true);
    assert.notEqual(done.completed_at, null);

    const undone = ok(await alice.completeTask({ path }));
    assert.equal(undone.completed, false);
    assert.equal(undone.completed_at, null);

    const set = ok(await alice.completeTask({ path, body: { completed: true } }));
    assert.equal(set.completed, true);
    const again = ok(await alice.completeTask({ path, body: { completed: true } }));
    assert.equal(again.completed, true);

    const completed = ok(await alice.listTasks({ query: { status: 'completed', sort: 'title' } }));
    assert.deepEqual(
      completed.map((t) => t.id),
      [created[0]!.id, taxes.id],
    );
  });

  it('deletes a task', async () => {
    const plants = created[3]!;
    const outcome = await alice.deleteTask({ path: { task_id: plants.id } });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.response.status, 204);
    // The type says a 204 resolves nothing, and nothing is what arrives (the generator alone gives `{}`).
    const nothing: undefined = outcome.data;
    assert.equal(nothing, undefined);
    problem(await alice.getTask({ path: { task_id: plants.id } }), 404);
    assert.equal((await listAll(alice, {})).length, seed.length - 1);
  });

  it('surfaces a 400 as typed problem details with field errors', async () => {
    const outcome = await alice.createTask({
      body: { title: '   ', tags: ['ok', 'x'.repeat(51)], due_at: 'next tuesday' },
    });
    const details = problem(outcome, 400);
    assert.equal(details.title, 'Bad Request');
    const fields = fieldErrors(details);
    assert.ok(fields.has('/title'), `a title error in ${JSON.stringify(details)}`);
    assert.ok(fields.has('/tags/1'), `a tag error in ${JSON.stringify(details)}`);
    assert.ok(fields.has('/due_at'), `a due_at error in ${JSON.stringify(details)}`);

    const badQuery = problem(await alice.listTasks({ query: { limit: 0 } }), 400);
    assert.ok(fieldErrors(badQuery).has('query/limit'), JSON.stringify(badQuery));

    assert.equal((await listAll(alice, {})).length, seed.length - 1, 'nothing was created');
  });

  it('surfaces a 404 as typed problem details', async () => {
    const details = problem(await alice.getTask({ path: { task_id: 999_999_999 } }), 404);
    assert.equal(details.title, 'Not Found');
    assert.equal(typeof details.detail, 'string');
    problem(await alice.patchTask({ path: { task_id: 999_999_999 }, body: { title: 'x' } }), 404);
    problem(await alice.deleteTask({ path: { task_id: 999_999_999 } }), 404);
  });

  it('surfaces a missing token as a typed 401', async () => {
    const anonymous = createTodoClient({ baseUrl, token: () => null });
    const outcome = await anonymous.listTasks();
    assert.equal(problem(outcome, 401).title, 'Unauthorized');
    assert.match(outcome.response.headers.get('WWW-Authenticate') ?? '', /^Bearer/);
  });

  it('throws a TodoTransportError when no HTTP answer arrives (network or CORS failure)', async () => {
    const unreachable = createTodoClient({ baseUrl: env('TODO_API_UNREACHABLE_URL'), token: () => 'token' });
    await assert.rejects(unreachable.listTasks(), (thrown: unknown) => {
      assert.ok(thrown instanceof TodoTransportError, String(thrown));
      assert.ok(thrown.cause instanceof TypeError, 'the cause is what fetch threw');
      assert.match(thrown.message, /^No answer from the Todo API for GET http:\/\/127\.0\.0\.1:\d+\/api\/tasks: /);
      return true;
    });
  });

  it('never sends a request without the configured origin and token', async () => {
    const seen: Request[] = [];
    const recording = createTodoClient({
      baseUrl,
      token: () => 'the-token',
      fetch: async (input, init) => {
        const request = new Request(input, init);
        seen.push(request);
        return fetch(request);
      },
    });
    await recording.listTasks({ query: { limit: 1 } });
    assert.equal(seen.length, 1);
    assert.ok(seen[0]!.url.startsWith(`${baseUrl}/api/tasks?`), seen[0]!.url);
    assert.equal(seen[0]!.headers.get('Authorization'), 'Bearer the-token');
  });

  it("keeps a second user's client away from the first user's tasks", async () => {
    assert.deepEqual(await listAll(bob, {}), []);
    const mine = created[4]!;
    problem(await bob.getTask({ path: { task_id: mine.id } }), 404);
    problem(await bob.replaceTask({ path: { task_id: mine.id }, body: { title: 'Hijacked' } }), 404);
    problem(await bob.patchTask({ path: { task_id: mine.id }, body: { title: 'Hijacked' } }), 404);
    problem(await bob.completeTask({ path: { task_id: mine.id } }), 404);
    problem(await bob.deleteTask({ path: { task_id: mine.id } }), 404);

    const theirs = ok(await bob.createTask({ body: { title: 'Buy milk', tags: ['home'] } }), 201);
    assert.notEqual(theirs.user_id, mine.user_id);
    assert.deepEqual(
      (await listAll(bob, { tag: 'home' })).map((t) => t.id),
      [theirs.id],
    );
    const aliceSees = await listAll(alice, {});
    assert.ok(!aliceSees.some((t) => t.id === theirs.id));
    assert.deepEqual(ok(await alice.getTask({ path: { task_id: mine.id } })), mine);
  });
});

/** A device's local copy of its tasks, kept current by the change feed (the README's sync loop). */
interface Replica {
  since?: string | undefined;
  tasks: Map<number, Task>;
  resets: number;
}

async function pull(client: TodoClient, replica: Replica): Promise<void> {
  for (let page = 0; page < 100; page++) {
    const outcome = await client.listChanges({ query: replica.since ? { since: replica.since } : {} });
    if (outcome.response.status === 410) {
      // The token expired or is not ours: start over with a full sync.
      replica.since = undefined;
      replica.tasks.clear();
      replica.resets++;
      continue;
    }
    const { changes, next, more } = ok(outcome);
    for (const change of changes) {
      if (change.kind === 'task' && change.task) {
        replica.tasks.set(change.id, change.task);
      } else {
        replica.tasks.delete(change.id);
      }
    }
    replica.since = next;
    if (!more) {
      return;
    }
  }
  throw new Error('the change feed did not end within 100 pages');
}

describe('keeping a second device of the same user in sync', () => {
  const phone = createTodoClient({ baseUrl, token: () => env('TODO_API_TOKEN') });
  const laptop: Replica = { tasks: new Map(), resets: 0 };

  const asServer = async (): Promise<Map<number, Task>> => new Map((await listAll(alice, {})).map((t) => [t.id, t]));

  it('starts with a full initial sync that ends with a token', async () => {
    await pull(phone, laptop);
    assert.ok(laptop.since);
    assert.deepEqual(laptop.tasks, await asServer());
  });

  it('pulls only what changed on the other device, deletions as tombstones', async () => {
    const added = ok(await alice.createTask({ body: { title: 'Added on the phone' } }), 201);
    const [first, second] = [...laptop.tasks.keys()];
    ok(await alice.patchTask({ path: { task_id: first! }, body: { title: 'Renamed on the phone' } }));
    assert.equal((await alice.deleteTask({ path: { task_id: second! } })).response.status, 204);

    const before = laptop.since;
    const delta = ok(await phone.listChanges({ query: { since: before! } }));
    assert.deepEqual(
      delta.changes.map((c) => [c.kind, c.id]),
      [
        ['task', added.id],
        ['task', first],
        ['tombstone', second],
      ],
    );
    await pull(phone, laptop);
    assert.ok(!laptop.tasks.has(second!), 'the tombstone removed the task');
    assert.equal(laptop.tasks.get(first!)?.title, 'Renamed on the phone');
    assert.deepEqual(laptop.tasks, await asServer());
  });

  it('applies bulk changes and clearing completed tasks', async () => {
    const ids = [...laptop.tasks.keys()].slice(0, 2);
    const result = ok(await alice.bulkUpdateTasks({ body: { action: 'complete', ids: [...ids, 999_999_999] } }));
    assert.deepEqual(
      result.results.map((r) => r.status),
      ['updated', 'updated', 'not_found'],
    );
    const completed = await listAll(alice, { status: 'completed' });
    assert.ok(completed.length >= ids.length);
    assert.equal(ok(await alice.clearCompletedTasks()).deleted, completed.length);
    await pull(phone, laptop);
    assert.deepEqual(laptop.tasks, await asServer());
  });

  it('resets with 410 to a full sync when the token is not valid for this user', async () => {
    const bobsToken = ok(await bob.listChanges()).next;
    const gone = problem(await phone.listChanges({ query: { since: bobsToken } }), 410);
    assert.equal(gone.errors?.[0]?.pointer, 'query/since');
    laptop.since = bobsToken;
    await pull(phone, laptop);
    assert.equal(laptop.resets, 1);
    assert.deepEqual(laptop.tasks, await asServer());
  });

  it('receives a live event when the other device changes a task', async () => {
    const controller = new AbortController();
    const { stream } = await phone.streamTaskEvents({ signal: controller.signal, sseMaxRetryAttempts: 0 });
    const events = stream[Symbol.asyncIterator]();
    const next = async (): Promise<SyncEvent> => {
      const { value, done } = await events.next();
      assert.ok(!done, 'the stream ended early');
      return value as SyncEvent;
    };
    try {
      const position = await next();
      assert.equal(position.type, 'sync');
      ok(await alice.createTask({ body: { title: 'Seen live' } }), 201);
      const announced = await next();
      assert.equal(announced.type, 'sync');
      assert.ok((announced.seq ?? 0) > (position.seq ?? 0));
    } finally {
      controller.abort();
    }
    await pull(phone, laptop);
    assert.ok([...laptop.tasks.values()].some((t) => t.title === 'Seen live'));
  });

  it('resolves a conflict between two devices (412) by refetching', async () => {
    const task = ok(await alice.createTask({ body: { title: 'Shared list' } }), 201);
    const path = { task_id: task.id };
    assert.equal(etagOf(task), `"${task.id}-1"`);

    // The phone saves first, holding the same version as the laptop.
    const phone = await alice.patchTask({ path, headers: { 'If-Match': etagOf(task) }, body: { priority: 'high' } });
    assert.equal(ok(phone).version, 2);

    // The laptop's save would silently overwrite it: it gets a 412 with the current ETag instead.
    const laptop = await alice.patchTask({ path, headers: { 'If-Match': etagOf(task) }, body: { title: 'Laptop title' } });
    assert.equal(problem(laptop, 412).title, 'Precondition Failed');
    assert.equal(responseEtag(laptop.response), responseEtag(phone.response));

    // It refetches, keeps the phone's change, and saves with the fresh ETag.
    const fresh = await alice.getTask({ path });
    assert.equal(ok(fresh).priority, 'high');
    const saved = ok(
      await alice.patchTask({ path, headers: { 'If-Match': responseEtag(fresh.response)! }, body: { title: 'Laptop title' } }),
    );
    assert.deepEqual([saved.title, saved.priority, saved.version], ['Laptop title', 'high', 3]);

    // Polling with If-None-Match costs a 304 with no body while nothing changed.
    const polled = await alice.getTask({ path, headers: { 'If-None-Match': etagOf(saved) } });
    assert.equal(polled.response.status, 304);
    assert.equal(polled.data, undefined);
  });

  it('returns the same task when a create is retried with its Idempotency-Key', async () => {
    const headers = { 'Idempotency-Key': newIdempotencyKey() };
    const body = { title: 'Sent over a flaky network' };
    const first = await alice.createTask({ headers, body });
    const retried = await alice.createTask({ headers, body });

    assert.deepEqual(ok(retried, 201), ok(first, 201));
    assert.equal(wasReplayed(first.response), false);
    assert.equal(wasReplayed(retried.response), true);
    assert.equal(retried.response.headers.get('Location'), first.response.headers.get('Location'));
    const titled = (await listAll(alice, { q: 'flaky network' })).map((t) => t.id);
    assert.deepEqual(titled, [ok(first, 201).id]);

    const reused = await alice.createTask({ headers, body: { title: 'Something else' } });
    assert.equal(problem(reused, 422).status, 422);
  });
});
