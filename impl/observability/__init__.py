"""Observability: request ids, structured logs, Prometheus metrics and OpenTelemetry traces.

`request_id` names each request, `access` times it and hands the outcome to the access log
(`logging`) and the RED metrics (`metrics`), `tracing` turns on OpenTelemetry when the standard
OTEL_* variables ask for it, and `metrics_server` serves the metrics of every worker process from
the server process (`python -m impl.serve`).
"""
