// Generated from openapi/tasks.yaml by `make client`; never edit by hand.
import { createClient, createConfig } from './client/index.js';
export const client = createClient(createConfig({ baseUrl: 'http://127.0.0.1:8000' }));
