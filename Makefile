# The two commands a newcomer needs: `make run` and `make test`.
# tools/uv is the pinned uv: the one on PATH if it is that version, else installed once into .tools/.
UV ?= tools/uv
RUN := $(UV) run --frozen
# USER, HOST and PORT are set by shells and containers (USER is the login name), so only a
# command-line `make token USER=bob` or `make run PORT=8001` changes the documented defaults.
from_command_line = $(if $(filter command line,$(origin $(1))),$($(1)),$(2))
API_HOST := $(call from_command_line,HOST,127.0.0.1)
API_PORT := $(call from_command_line,PORT,8000)
TOKEN_USER := $(call from_command_line,USER,alice)

# Node.js is needed only by the TypeScript client and the contract linter.
define require_node
@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	echo "make $(or $(MAKECMDGOALS),$@) needs Node.js >= 20.19 with npm: install it from https://nodejs.org/" \
		"(or e.g. apt-get install nodejs npm) and run make again" >&2; exit 1; }
endef

.PHONY: install run token generate check lint typecheck drift test

install:
	@$(UV) sync --frozen

run: install
	APP_ENV=development $(RUN) alembic upgrade head
	APP_ENV=development $(RUN) python -m impl.devserver --host $(API_HOST) --port $(API_PORT)

# Only the token goes to stdout (uv syncs the environment itself and reports on stderr), so
# TOKEN=$$(make -s token USER=bob) captures exactly the token.
token:
	@APP_ENV=development $(RUN) python -m impl.devtoken $(TOKEN_USER)

# generated/typescript/ belongs to `make client` (mk/client.mk), so only the Python side is cleared.
generate: install
	mkdir -p generated && find generated -mindepth 1 -maxdepth 1 ! -name typescript -exec rm -rf {} +
	PYTHONPATH=. $(RUN) fastapi-codegen -i openapi/tasks.yaml -o generated -t codegen/templates \
		-c codegen/visitor.py -m models --strict-nullable --disable-timestamp
	$(RUN) datamodel-codegen --input openapi/tasks.yaml --input-file-type openapi \
		--output generated/models.py --output-model-type pydantic_v2.BaseModel \
		--strict-nullable --disable-timestamp --target-python-version 3.11 \
		--output-datetime-class AwareDatetime --strict-types bool --field-constraints \
		--use-annotated --use-default-kwarg --enum-field-as-literal none --set-default-enum-member \
		--formatters black isort
	printf '"""Generated from openapi/tasks.yaml by `make generate`; never edit by hand."""\n' > generated/__init__.py

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install
	$(RUN) mypy

drift: generate
	@git diff --exit-code --stat -- generated || \
		(echo "generated/ is stale: run 'make generate' and commit" && exit 1)
	@test -z "$$(git status --porcelain -- generated)" || \
		(echo "generated/ has untracked files: run 'make generate' and commit" && exit 1)

check: lint typecheck drift lint-contract client-drift

test: install
	$(RUN) pytest

include mk/client.mk
include mk/fuzz.mk
include mk/bench.mk
include mk/chaos.mk
