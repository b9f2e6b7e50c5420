"""The contract over HTTP: a small library that serves any OpenAPI contract loaded at start-up.

Nothing here knows about tasks. `generated/` (what varies with the contract: models, per-tag
handler Protocols, the route table) and `impl/` (the service) both build on it:

- `kit.contract`    the contract document, loaded once from its YAML file
- `kit.problems`    the one error family, rendered as RFC 9457 application/problem+json
- `kit.validation`  request bodies judged against the contract's JSON Schema in bounded work
- `kit.http`        body reading, content negotiation, rendering
- `kit.paths`       route order (literal segments before templated ones) and the 405 Allow table
"""
