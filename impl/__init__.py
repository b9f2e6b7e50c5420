"""Hand-written implementation of the contract in openapi/tasks.yaml."""
