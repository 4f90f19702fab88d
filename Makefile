# Kensa. `make run` sets up and starts what exists; `make test` sets up and
# runs every test. Both install what is missing (scripts/setup.sh).
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
CORPUS ?= $(abspath ../shared/corpus)
export KENSA_CORPUS := $(CORPUS)
# Fuzz targets always run over their seed corpora (testdata/fuzz) in `go
# test`. On top of that make test explores for FUZZTIME per target; CI
# (CI=true) explores for 0s so that a landing never hangs on a random find:
# run `make fuzz` (5 min per target) to hunt, and commit what it finds.
ifeq ($(CI),true)
FUZZTIME ?= 0s
else
FUZZTIME ?= 10s
endif

.PHONY: all setup build run demo test lint unit fuzz-short fuzz bench clean

all: build

setup:
	@scripts/setup.sh

build: setup
	$(GO) build -trimpath -o bin/kensa ./cmd/kensa

run: build
	@scripts/demo.sh

demo: run

# Every test: formatting, vet, unit/golden/corpus tests with the race
# detector, and a short run of every fuzz target.
test: setup lint unit fuzz-short
	@echo "make test: $$(grep -c '^ok' .run/unit.log) packages passed; $$(scripts/fuzz.sh --count) fuzz targets, explored for $(FUZZTIME) each"
	@echo "$$(grep -c '^ok' .run/unit.log) passed, $$(grep -c '^FAIL' .run/unit.log) failed"

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	@mkdir -p .run
	KENSA_REQUIRE_CORPUS=1 KENSA_REQUIRE_POSTFIX=1 KENSA_REQUIRE_CHROMIUM=1 KENSA_REQUIRE_REDIS=1 $(GO) test -race -count=1 ./... 2>&1 | tee .run/unit.log; exit $${PIPESTATUS[0]}

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
fuzz-short:
	@if [ "$(FUZZTIME)" = 0s ]; then echo "fuzz: seed corpora only (CI)"; else scripts/fuzz.sh $(FUZZTIME); fi

fuzz:
	@scripts/fuzz.sh 5m

bench: build
	@scripts/bench.sh

clean:
	rm -rf bin .run
