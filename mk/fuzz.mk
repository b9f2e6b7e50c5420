# Contract fuzzing and contract linting; included from the Makefile.
#   make fuzz           CI's run: fixed seed, a budget that keeps the step well under 5 minutes
#   make fuzz-long      local hunting: random seed, longer budget (FUZZ_LONG_TIME=seconds)
#   make lint-contract  openapi-spec-validator and Redocly CLI (recommended rules) on the contract
FUZZ_SEED ?= 20261124
FUZZ_TIME ?= 150
FUZZ_LONG_TIME ?= 900
LINT_DIR := tools/lint
CONTRACT := openapi/tasks.yaml

.PHONY: fuzz fuzz-long lint-contract

fuzz: install
	$(RUN) python -m tests.fuzz.run --seed $(FUZZ_SEED) --max-time $(FUZZ_TIME) --workers 1

fuzz-long: install
	$(RUN) python -m tests.fuzz.run --max-time $(FUZZ_LONG_TIME) --workers 2

# npm ci writes node_modules/.package-lock.json, so the linter is reinstalled only when the lock changes.
$(LINT_DIR)/node_modules/.package-lock.json: $(LINT_DIR)/package-lock.json
	$(require_node)
	cd $(LINT_DIR) && npm ci --no-audit --no-fund

lint-contract: install $(LINT_DIR)/node_modules/.package-lock.json
	$(require_node)
	$(RUN) openapi-spec-validator $(CONTRACT)
	cd $(LINT_DIR) && REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint \
		--config redocly.yaml --max-problems 1000 ../../$(CONTRACT)
