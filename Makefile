# Two commands for a newcomer:  make demo  (set up + run on the embedded model)  and  make test.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(VENV)/bin/pip
INPUT   ?= $(firstword $(wildcard ../shared/corpus/seed) tests/fixtures/weilidai-digest.txt)
OUT     ?= out
# llama.cpp is compiled once per machine for its CPU: AVX-512 with VNNI where /proc/cpuinfo
# lists them (prompts evaluate ~1.3x faster here), else portable AVX2. Not -march=native:
# that also compiles AMX tile code, which this VM's kernel refuses (SIGILL).
# The wheel is kept per flavour in ~/.cache/extractor/wheels, so fresh clones reuse it.
LLAMA_VERSION := 0.3.36
CPU_FLAGS     := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
LLAMA_CMAKE   := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
ifeq ($(words $(filter avx512f avx512bw avx512vl avx512dq avx512_vnni avx512vbmi,$(CPU_FLAGS))),6)
LLAMA_FLAVOUR := avx512-vnni
LLAMA_CMAKE   += -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON
else
LLAMA_FLAVOUR := avx2
endif
WHEELS        := $(HOME)/.cache/extractor/wheels/$(LLAMA_FLAVOUR)
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

.PHONY: demo setup setup-local test test-live lint record bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

setup: $(PY)
	$(PIP) install -q -e ".[serve,export,ray,test]"

setup-local: $(PY)
	@ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || { \
	  echo "compiling llama.cpp ($(LLAMA_FLAVOUR)) once for this machine, about 7 minutes"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" $(PIP) wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python \
	    "llama-cpp-python==$(LLAMA_VERSION)" -w $(WHEELS); }
	$(PIP) install -q --no-deps --force-reinstall $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PIP) install -e ".[local,export,ray,test]"

demo: setup-local
	$(VENV)/bin/extractor run $(INPUT) -o $(OUT)

test: setup
	@$(PY) -m pytest -q -m "not live"; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

# The live-marked tests against the embedded model server (the local extra; ~10 minutes
# on 2 cores). EXTRACTOR_LIVE=1 makes a live test that would be skipped fail instead.
test-live: setup-local
	$(PY) -c "from extractor.backends.weights import ensure_model; print(ensure_model())"
	@EXTRACTOR_LIVE=1 $(PY) -m pytest -q -m live; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no live tests: failing" >&2; exit 1; fi; exit $$rc

lint: setup
	$(VENV)/bin/ruff check extractor tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# Re-record every cassette: the embedded model (seed, re-ask, English) and llama-cpp-python's stock server (the modes); needs the local extra.
record: setup-local
	rm -f tests/cassettes/*.yaml
	EXTRACTOR_RECORD=1 EXTRACTOR_RECORD_CACHE_DIR=$${EXTRACTOR_CACHE_DIR:-$$HOME/.cache/extractor}/results $(PY) -m pytest -q -p no:randomly tests/test_llm_cassettes.py tests/test_cli.py tests/test_modes.py tests/test_english.py

bench: setup
	$(PY) bench/performance.py

clean:
	rm -rf $(OUT) build dist *.egg-info
