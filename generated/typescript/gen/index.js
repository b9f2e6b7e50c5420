// Generated from openapi/tasks.yaml by `make client`; never edit by hand.
export { bulkUpdateTasks, clearCompletedTasks, completeTask, createTask, deleteTask, getHealth, getReadiness, getTask, listChanges, listTasks, patchTask, replaceTask, streamTaskEvents } from './sdk.gen.js';
