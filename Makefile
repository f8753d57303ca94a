# Run `make help` for the list of targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run setup test test-quick lint fmt check-migrations check-deploy clean bench bench-data

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create the virtual environment and install the project with its dev tools

setup: install ## Migrate, load the reports and demo contacts, make a local admin login (safe to repeat)
	$(MANAGE) migrate --no-input
	$(MANAGE) load_reports
	$(MANAGE) ensure_local_admin
	$(MANAGE) load_demo_contacts

run: setup ## Run the web server, a Celery worker and beat on http://127.0.0.1:8000 (Ctrl-C stops all)
	$(BIN)/honcho start -f Procfile.dev

test: install ## Run the whole test suite with coverage (DATABASE_URL / REDIS_URL select real services)
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

test-quick: install ## The inner loop: every test but the slow ones (browser, worker, faults, builds)
	$(BIN)/pytest -m "not slow"

BENCH_DB ?= bench
BENCH_SMALL_DB ?= bench32
BENCH_PG ?= -h 127.0.0.1 -U postgres

bench-data: install ## Make the benchmark databases: 150 fictional inquiries, and the shipped 32
	dropdb $(BENCH_PG) --if-exists $(BENCH_DB) && createdb $(BENCH_PG) $(BENCH_DB)
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DB) $(MANAGE) migrate --no-input -v0
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DB) $(MANAGE) seed_demo --inquiries 150 --contacts 2000
	dropdb $(BENCH_PG) --if-exists $(BENCH_SMALL_DB) && createdb $(BENCH_PG) $(BENCH_SMALL_DB)
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_SMALL_DB) $(MANAGE) migrate --no-input -v0
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_SMALL_DB) $(MANAGE) load_reports

bench: install ## Run the benchmarks (needs `make bench-data`, wrk and nginx; see docs/benchmarks.md)
	$(BIN)/python bench/query_counts.py; \
	$(BIN)/python bench/http_pages.py; \
	$(BIN)/python bench/search.py; \
	$(BIN)/python bench/password_reset.py; \
	$(BIN)/python bench/jobs.py; \
	$(BIN)/python bench/published_view.py; \
	$(BIN)/python bench/leads.py

lint: install ## Check formatting and lint with ruff, and the import contracts (pyproject.toml)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	PYTHONPATH=. $(BIN)/lint-imports

fmt: install ## Format and fix what ruff can fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-migrations: install ## Fail if a model change has no migration
	$(MANAGE) makemigrations --check --dry-run

check-deploy: install ## Run Django's deployment checks with production-like settings
	DJANGO_DEBUG=false DJANGO_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	DJANGO_ALLOWED_HOSTS=tracker.example.org SITE_URL=https://tracker.example.org \
	$(MANAGE) check --deploy --fail-level WARNING

clean: ## Remove the local database, mail and broker files under var/
	rm -rf var/
