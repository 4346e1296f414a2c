# settle — entry points. `make demo` and `make test` work on a fresh machine with 64-bit Python 3.11+.
# PY picks the Python, VENV the venv: make test PY=python3.13 VENV=.venv313 (.ci/run does both ends).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints.txt

.PHONY: install demo test lock wheels-check bench samples clean

# The tested set: every install pins what constraints.txt says (`make lock` writes it).
$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the sample month on a fresh copy of samples/ (in demo/) and show where the outputs are.
demo: $(STAMP)
	rm -rf demo && cp -r samples demo
	@echo "== settle validate 2024-05: the sample month plants its problems on purpose (samples/PLANTED.md)."
	@echo "   Expect the errors and warnings it lists there, e.g. two unknown salespeople (R25) that run"
	@echo "   only rejects, and a hidden sheet. validate exits 2 on them; that is the point of the demo."
	$(BIN)/settle validate 2024-05 --workspace demo || true
	@echo
	@echo "== settle run 2024-05"
	$(BIN)/settle run 2024-05 --workspace demo
	@echo
	@echo "Outputs: demo/output/2024-05/  (部门汇总.xlsx, 工资条/, settlement.json)"

test: $(STAMP)
	$(BIN)/python -m pytest

## Re-pin constraints.txt to the newest releases: a fresh venv, pip freeze (tools/lock.py). Run the
## tests (`make test`, and .ci/run for both Pythons) and tools/wheels_check.py before committing it.
lock:
	rm -rf .venv-lock
	$(PY) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	.venv-lock/bin/python tools/lock.py $(CONSTRAINTS)
	rm -rf .venv-lock

## Ask PyPI whether every pin has wheels for Windows, macOS and Linux on Python 3.11-3.14.
wheels-check: $(STAMP)
	$(BIN)/python tools/wheels_check.py $(CONSTRAINTS)

## Generate (cached in $(BENCH_DATA)) a 1 000 000-line group month and time `settle run` against its
## single- and two-core I/O floors; SIZE=100000 for another size, GROWTH=1 for 100 k / 500 k / 1 M.
BENCH_DATA ?= bench-data
SIZE ?= 1000000
bench: $(STAMP)
	$(BIN)/python tools/bench.py --data $(BENCH_DATA) --lines $(SIZE) $(if $(GROWTH),--growth)

## Regenerate the sample workspace from its deterministic generator.
samples: $(STAMP)
	$(BIN)/python tools/gen_workspace.py samples

clean:
	rm -rf demo bench-data .pytest_cache .venv-lock
