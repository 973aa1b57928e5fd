# Parley: the two commands a newcomer needs are `make run` and `make check`.
MAKEFLAGS += --no-print-directory
#
#   make run     install missing packages, build, create var/parley.db with a first
#                admin if it does not exist, add the demo (inboxes of every channel and
#                `parley simulate` traffic; DEMO=0 for none), serve on http://127.0.0.1:8080
#   make check   install missing packages, build the sanitizer test build, run every test
#   make bench   run the benchmarks in bench/ and print their figures
#   make fuzz    run every fuzz target for FUZZ_SECONDS each (default 60)

BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60
# make run's demo: DEMO=0 serves without it; DEMO_RATE messages/s; replies go to the
# built-in fake platform on DEMO_FAKE_PORT
DEMO           ?= 1
DEMO_RATE      ?= 1
DEMO_FAKE_PORT ?= 8089

.PHONY: all deps build run check bench fuzz format clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target parley

run: build
	@mkdir -p var
	@$(BUILD)/parley init --db var/parley.db --account "Demo" --admin admin@parley.local \
	    --password-file var/initial-admin-password --if-empty </dev/null
	@if [ -f var/initial-admin-password ]; then \
	    echo "Sign in at http://127.0.0.1:8080 as $$(sed -n 1p var/initial-admin-password)" \
	         "with the password $$(sed -n 2p var/initial-admin-password)"; fi
	@if [ "$(DEMO)" = 0 ]; then exec $(BUILD)/parley serve --db var/parley.db; fi; \
	$(BUILD)/parley demo --db var/parley.db --out var/demo-inboxes.json \
	    --fake-url http://127.0.0.1:$(DEMO_FAKE_PORT) >/dev/null || exit 1; \
	$(BUILD)/parley simulate --url http://127.0.0.1:8080 --inboxes var/demo-inboxes.json \
	    --rate $(DEMO_RATE) --fake-platform $(DEMO_FAKE_PORT) >var/demo-simulate.log 2>&1 & sim=$$!; \
	trap 'kill $$sim 2>/dev/null' EXIT INT TERM; \
	echo "demo traffic: $$(awk 'BEGIN { print $(DEMO_RATE) * 60 }') messages/min from every channel" \
	     "(log: var/demo-simulate.log; make run DEMO=0 for none)"; \
	$(BUILD)/parley serve --db var/parley.db --log-level $${PARLEY_LOG_LEVEL:-warn}

check: deps node_modules/.package-lock.json
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	    -DPARLEY_SANITIZE=ON -DPARLEY_FUZZ=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)
	@# the release build (gcc, -O2) must stay warning-free too
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) >/dev/null
	@cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

# playwright-core (and the console's npm packages) for the browser tests; again
# only when package-lock.json changes. The console itself builds without npm.
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error >/dev/null; \
	else echo "npm is missing: the browser tests will not run" >&2; fi

bench: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@bench/run.sh $(BUILD)

fuzz: check
	@for f in $(TEST_BUILD)/tests/fuzz_*; do \
	    name=$$(basename $$f); seeds=tests/fuzz/corpus/$${name#fuzz_}; \
	    mkdir -p $(TEST_BUILD)/fuzz-work/$$name; \
	    echo "== $$name ($(FUZZ_SECONDS)s)"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) $(TEST_BUILD)/fuzz-work/$$name $$seeds || exit 1; \
	done

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
