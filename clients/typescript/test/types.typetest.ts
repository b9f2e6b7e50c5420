// Type-level test: compiled by `tsc --noEmit`, never run. Each `@ts-expect-error` line must fail to
// compile, and an unused directive is itself an error, so tsc passes only while the generated types
// reject these mistakes. Every line is a single call so that the directive covers exactly one error.

import { createTodoClient, type Problem, type Task, type TaskCreate } from '../../../generated/typescript/index.js';
// @ts-expect-error The raw operations are not exported: every call goes through a configured client.
import { listTasks } from '../../../generated/typescript/index.js';
// @ts-expect-error Nor is the generator's default client, which knows neither the origin nor a token.
import { client as defaultClient } from '../../../generated/typescript/index.js';
// @ts-expect-error Nor its bare client factory: createTodoClient is the one way to build a client.
import { createClient } from '../../../generated/typescript/index.js';
void [listTasks, defaultClient, createClient];

const api = createTodoClient({ baseUrl: 'http://127.0.0.1:8000', token: () => 'token' });
// @ts-expect-error A client needs the API's origin.
createTodoClient({ token: () => 'token' });
// @ts-expect-error A client needs a token source.
createTodoClient({ baseUrl: 'http://127.0.0.1:8000' });

export async function mistakes(): Promise<void> {
  // The right shapes compile, so the errors below come from the mistakes alone.
  await api.createTask({ body: { title: 'Buy milk', priority: 'high', tags: ['home'], due_at: null } });
  await api.patchTask({ path: { task_id: 1 }, body: {} });

  // @ts-expect-error `title` is required when creating.
  await api.createTask({ body: { priority: 'high' } });
  // @ts-expect-error `title` is required when replacing.
  await api.replaceTask({ path: { task_id: 1 }, body: { completed: true } });
  // @ts-expect-error `title` is a string.
  await api.createTask({ body: { title: 42 } });
  // @ts-expect-error `priority` is one of low, medium, high.
  await api.createTask({ body: { title: 'Buy milk', priority: 'urgent' } });
  // @ts-expect-error `tags` is an array of strings.
  await api.createTask({ body: { title: 'Buy milk', tags: 'home' } });
  // @ts-expect-error `due_at` is an RFC 3339 string, not a Date.
  await api.patchTask({ path: { task_id: 1 }, body: { due_at: new Date() } });
  // @ts-expect-error `completed` is a boolean.
  await api.completeTask({ path: { task_id: 1 }, body: { completed: 'yes' } });
  // @ts-expect-error The contract forbids unknown fields.
  await api.createTask({ body: { title: 'Buy milk', colour: 'red' } });
  // @ts-expect-error `task_id` is a number.
  await api.getTask({ path: { task_id: '1' } });
  // @ts-expect-error The path parameter is required.
  await api.getTask({});
  // @ts-expect-error `sort` takes only the contract's keys.
  await api.listTasks({ query: { sort: 'colour' } });
  // @ts-expect-error `status` is all, pending or completed.
  await api.listTasks({ query: { status: 'done' } });
  // @ts-expect-error A body is required when creating.
  await api.createTask({});

  // @ts-expect-error A TaskCreate without a title is not a TaskCreate.
  const draft: TaskCreate = { description: 'no title' };
  void draft;

  const outcome = await api.getTask({ path: { task_id: 1 } });
  // @ts-expect-error The body may be absent: the call can have failed.
  const title: string = outcome.data.title;
  void title;
  if (outcome.error) {
    const details: Problem = outcome.error;
    // @ts-expect-error Field errors are optional on a problem.
    const first: string = details.errors[0].pointer;
    void first;
  } else {
    const task: Task = outcome.data;
    void task;
  }

  const deleted = await api.deleteTask({ path: { task_id: 1 } });
  if (!deleted.error) {
    // A 204 resolves nothing: the success type is `undefined`, not `{}` or `void`.
    const nothing: undefined = deleted.data;
    void nothing;
    // @ts-expect-error There is no body to read after a delete.
    void deleted.data.id;
  }
  // `response` is always there: a call without an HTTP answer throws a TodoTransportError instead.
  const status: number = deleted.response.status;
  void status;
}
