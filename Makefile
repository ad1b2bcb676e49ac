# The two set-up commands of the README: `make run` and `make test`.
PORT ?= 8000
PYTHON_FOR_VENV ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# The suite runs on PostgreSQL (running on this machine) unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/certlife

.PHONY: run test lint bench

$(VENV)/.installed-run: pyproject.toml
	scripts/make-venv $(PYTHON_FOR_VENV) $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	scripts/make-venv $(PYTHON_FOR_VENV) $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py create_first_administrator
	@echo "certlife: starting web on http://127.0.0.1:$(PORT)/, a Celery worker and Celery beat (Ctrl-C stops all)"
	CERTLIFE_PORT=$(PORT) $(VENV)/bin/honcho start --no-colour -f Procfile

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: $(VENV)/.installed-test
	scripts/install-system-packages
	scripts/build-pebble
	scripts/ensure-services
	$(MAKE) lint
	$(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(VENV)/bin/pytest $(PYTEST_ARGS)

# The benchmarks of bench/ (README "Performance"): issuance against a bare ACME client
# and certbot on one Pebble, then the repository at 1,000 and 100,000 certificates.
# Never part of `make test`. E.g. make bench BENCH_ISSUE_ARGS="--n 20 --configs pg-2"
bench: $(VENV)/.installed-test
	scripts/install-system-packages
	scripts/ensure-services
	$(PY) bench/issue.py $(BENCH_ISSUE_ARGS)
	$(PY) bench/scale.py $(BENCH_SCALE_ARGS)
