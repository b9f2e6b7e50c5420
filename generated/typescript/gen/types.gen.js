// Generated from openapi/tasks.yaml by `make client`; never edit by hand.
export {};
