"""Generated from openapi/tasks.yaml by `make generate`; never edit by hand."""
