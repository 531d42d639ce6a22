# The README's two commands: `make demo` and `make test`.
PY := .venv/bin/python
YANGFAN := .venv/bin/yangfan

.PHONY: setup demo serve test lint bench docs

setup:
	bash scripts/setup.sh run

demo: setup
	$(YANGFAN) init
	$(YANGFAN) demo
	$(YANGFAN) serve --host 127.0.0.1 --port 8000

serve:
	$(YANGFAN) serve --host 127.0.0.1 --port 8000

# pytest reads PYTEST_ADDOPTS from the environment, e.g. PYTEST_ADDOPTS='-m "not browser"' make test
test:
	bash scripts/setup.sh test
	$(PY) -m pytest -q

lint:
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/mypy

bench:
	bash scripts/setup.sh bench
	@set -e; for f in benchmarks/*.py; do [ -e "$$f" ] || continue; echo "== $$f"; $(PY) "$$f"; done

docs:
	$(YANGFAN) docs
