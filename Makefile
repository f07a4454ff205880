# Two commands for a newcomer:  make demo  (set up + run on the embedded model)  and  make test.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(VENV)/bin/pip
INPUT   ?= $(firstword $(wildcard ../shared/corpus/seed) tests/fixtures/weilidai-digest.txt)
OUT     ?= out
# Portable llama.cpp build flags (no -march=native: the wheel pip caches must run on any x86-64 with AVX2).
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

.PHONY: demo setup setup-local test lint record bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

setup: $(PY)
	$(PIP) install -q -e ".[test]"

setup-local: $(PY)
	$(PIP) install -e ".[local,test]"

demo: setup-local
	$(VENV)/bin/extractor run $(INPUT) -o $(OUT)

test: setup
	@$(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

lint: setup
	$(VENV)/bin/ruff check extractor tests bench

# Re-record every cassette from the embedded model (needs the local extra; ~30 minutes on 2 cores).
record: setup-local
	rm -f tests/cassettes/*.yaml
	EXTRACTOR_RECORD=1 EXTRACTOR_RECORD_CACHE_DIR=$${EXTRACTOR_CACHE_DIR:-$$HOME/.cache/extractor}/results $(PY) -m pytest -q -p no:randomly tests/test_llm_cassettes.py tests/test_cli.py

bench: setup
	$(PY) bench/performance.py

clean:
	rm -rf $(OUT) build dist *.egg-info
