# The TypeScript client for frontend teams: `make client` writes generated/typescript/ from the
# contract; `make check` fails when the committed copy is stale (client-drift), like the Python side.
# The tooling, pinned in clients/typescript/package-lock.json, is installed with `npm ci`.
NPM ?= npm
CLIENT_DIR := clients/typescript

.PHONY: client client-install client-drift

# Reinstall only when the lock file is newer than the last install.
$(CLIENT_DIR)/node_modules/.package-lock.json: $(CLIENT_DIR)/package-lock.json
	$(require_node)
	cd $(CLIENT_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error

client-install: $(CLIENT_DIR)/node_modules/.package-lock.json

client: client-install
	$(require_node)
	cd $(CLIENT_DIR) && node scripts/generate.mjs

# Without Node a developer's `make check` still runs the Python checks; CI (CI=true) must have it.
client-drift:
	@if ! command -v node >/dev/null 2>&1 && [ "$${CI:-}" != "true" ]; then \
		echo "client-drift: skipped, Node.js is not installed"; exit 0; fi; \
	$(MAKE) --no-print-directory client && \
	{ git diff --exit-code --stat -- generated/typescript || \
		{ echo "generated/typescript/ is stale: run 'make client' and commit"; exit 1; }; } && \
	{ test -z "$$(git status --porcelain -- generated/typescript)" || \
		{ echo "generated/typescript/ has uncommitted files: run 'make client' and commit"; exit 1; }; }
