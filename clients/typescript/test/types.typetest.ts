// Type-level test: compiled by `tsc --noEmit`, never run. Each `@ts-expect-error` line must fail to
// compile, and an unused directive is itself an error, so tsc passes only while the generated types
// reject these mistakes. Every line is a single call so that the directive covers exactly one error.

import {
  completeTask,
  createTask,
  createTodoClient,
  getTask,
  listTasks,
  patchTask,
  replaceTask,
  type Problem,
  type Task,
  type TaskCreate,
} from '../../../generated/typescript/index.js';

const client = createTodoClient({ baseUrl: 'http://127.0.0.1:8000', token: () => 'token' });

export async function mistakes(): Promise<void> {
  // The right shapes compile, so the errors below come from the mistakes alone.
  await createTask({ client, body: { title: 'Buy milk', priority: 'high', tags: ['home'], due_at: null } });
  await patchTask({ client, path: { task_id: 1 }, body: {} });

  // @ts-expect-error `title` is required when creating.
  await createTask({ client, body: { priority: 'high' } });
  // @ts-expect-error `title` is required when replacing.
  await replaceTask({ client, path: { task_id: 1 }, body: { completed: true } });
  // @ts-expect-error `title` is a string.
  await createTask({ client, body: { title: 42 } });
  // @ts-expect-error `priority` is one of low, medium, high.
  await createTask({ client, body: { title: 'Buy milk', priority: 'urgent' } });
  // @ts-expect-error `tags` is an array of strings.
  await createTask({ client, body: { title: 'Buy milk', tags: 'home' } });
  // @ts-expect-error `due_at` is an RFC 3339 string, not a Date.
  await patchTask({ client, path: { task_id: 1 }, body: { due_at: new Date() } });
  // @ts-expect-error `completed` is a boolean.
  await completeTask({ client, path: { task_id: 1 }, body: { completed: 'yes' } });
  // @ts-expect-error The contract forbids unknown fields.
  await createTask({ client, body: { title: 'Buy milk', colour: 'red' } });
  // @ts-expect-error `task_id` is a number.
  await getTask({ client, path: { task_id: '1' } });
  // @ts-expect-error The path parameter is required.
  await getTask({ client });
  // @ts-expect-error `sort` takes only the contract's keys.
  await listTasks({ client, query: { sort: 'colour' } });
  // @ts-expect-error `status` is all, pending or completed.
  await listTasks({ client, query: { status: 'done' } });
  // @ts-expect-error A body is required when creating.
  await createTask({ client });

  // @ts-expect-error A TaskCreate without a title is not a TaskCreate.
  const draft: TaskCreate = { description: 'no title' };
  void draft;

  const outcome = await getTask({ client, path: { task_id: 1 } });
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
}
