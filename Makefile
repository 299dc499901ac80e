# Construisons — the two commands of the README, and a few more.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432
RABBITMQ_URL ?= amqp://guest:guest@127.0.0.1:5672/
export RABBITMQ_URL
export TEST_DATABASE_URL ?= $(PG_URL)/postgres
export TEST_RABBITMQ_URL ?= $(RABBITMQ_URL)

SERVICES := intake review incubation notifications
SERVICE_PORTS := intake:8001 review:8002 incubation:8003 notifications:8004
HOST ?= 127.0.0.1

.PHONY: env run migrate test lint token schemas bench bench-smoke

env: ## create or refresh the virtual environment from the lock file
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@# Bytecode compiled once, here: where PYTHONDONTWRITEBYTECODE is set, every process
	@# would otherwise compile each module it imports (3 s of CPU per service start).
	@$(UV) sync --frozen --quiet --compile-bytecode
	@$(UV) run --frozen python -m compileall -q -j 0 services shared tests >/dev/null

migrate: env ## create each service's database if needed and apply its migrations
	@for s in $(SERVICES); do DATABASE_URL=$(PG_URL)/construisons_$$s $(UV) run --frozen python -m $$s migrate || exit 1; done

run: migrate ## start the four services in the foreground (Ctrl-C stops them all)
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	for entry in $(SERVICE_PORTS); do \
	  s=$${entry%%:*}; port=$${entry##*:}; \
	  DATABASE_URL=$(PG_URL)/construisons_$$s $(UV) run --frozen python -m $$s serve --host $(HOST) --port $$port & \
	  echo "$$s: http://$(HOST):$$port/docs"; \
	done; \
	echo "Development token: make token   (team: make token ARGS='--role innovation_team')"; \
	wait

test: env ## run the whole test suite against PostgreSQL and RabbitMQ
	$(UV) run --frozen pytest $(PYTEST_ARGS)

lint: env
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

token: env ## print a development token: make token ARGS="--sub agent.x --role committee"
	@$(UV) run --frozen python -m construisons.auth $(ARGS)

schemas: env ## regenerate the JSON Schemas of the events
	$(UV) run --frozen python -m construisons.events

replay-dlq: env ## put a service's dead-lettered messages back on its queue: make replay-dlq SERVICE=review
	@test -n "$(SERVICE)" || { echo "usage: make replay-dlq SERVICE=<intake|review|incubation|notifications>"; exit 2; }
	$(UV) run --frozen python -m construisons.replay $(SERVICE)

bench: env ## run every benchmark scenario at full size (several minutes; see tests/bench/run.py)
	$(UV) run --frozen python tests/bench/run.py --database-url $(PG_URL)

bench-smoke: env ## run every benchmark scenario at a tiny size (well under a minute)
	$(UV) run --frozen python tests/bench/run.py --smoke --database-url $(PG_URL)
	$(UV) run --frozen python tests/bench/submission_cost.py --board 50 --runs 50 --database-url $(PG_URL)

docs: env ## regenerate the OpenAPI and AsyncAPI documents under docs/
	$(UV) run --frozen python docs/generate.py
