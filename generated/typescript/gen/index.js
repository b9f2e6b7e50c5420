// Generated from openapi/tasks.yaml by `make client`; never edit by hand.
export { completeTask, createTask, deleteTask, getHealth, getReadiness, getTask, listTasks, patchTask, replaceTask } from './sdk.gen.js';
