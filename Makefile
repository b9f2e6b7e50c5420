# The two commands a newcomer needs: `make run` and `make test`.
UV ?= uv
RUN := $(UV) run --frozen
HOST ?= 127.0.0.1
PORT ?= 8000
USER ?= alice

.PHONY: install run token generate check lint typecheck drift test

install:
	$(UV) sync --frozen

run: install
	APP_ENV=development $(RUN) alembic upgrade head
	APP_ENV=development $(RUN) python -m impl.devserver --host $(HOST) --port $(PORT)

token: install
	@APP_ENV=development $(RUN) python -m impl.devtoken $(USER)

# generated/typescript/ belongs to `make client` (mk/client.mk), so only the Python side is cleared.
generate: install
	mkdir -p generated && find generated -mindepth 1 -maxdepth 1 ! -name typescript -exec rm -rf {} +
	$(RUN) fastapi-codegen -i openapi/tasks.yaml -o generated -t codegen/templates \
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
