# Kensa. `make run` sets up and starts what exists; `make test` sets up and
# runs every test. Both install what is missing (scripts/setup.sh).
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
CORPUS ?= $(abspath ../shared/corpus)
export KENSA_CORPUS := $(CORPUS)
# Fuzz targets run over their seed corpora (testdata/fuzz) in every `go
# test`, so make test gives the same answer every time. Random exploration
# belongs to make fuzz (FUZZTIME per target, 5 min by default): commit what it
# finds as seeds under testdata/fuzz.
FUZZTIME ?= 5m

.PHONY: all setup build run demo test lint compose-check unit fuzz bench clean extension

all: build

setup:
	@scripts/setup.sh

build: setup
	$(GO) build -trimpath -o bin/kensa ./cmd/kensa

run: build
	@scripts/demo.sh

demo: run

# Every test: formatting, vet, unit/golden/corpus/integration tests with
# the race detector (fuzz targets over their seeds). The corpus evaluation
# renders 272 pages in one package, longer than go test's default 10 min
# on a loaded 2-core machine: hence -timeout.
test: setup lint compose-check unit
	@echo "make test: $$(grep -c '^ok' .run/unit.log) packages passed; $$(scripts/fuzz.sh --count) fuzz targets ran over their seeds (make fuzz explores)"
	@echo "$$(grep -c '^ok' .run/unit.log) passed, $$(grep -c '^FAIL' .run/unit.log) failed"

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# docker-compose.yml must load and interpolate (no Docker engine needed);
# internal/scaletest checks that it runs what the scale test proves.
compose-check:
	KENSA_BASE_URL=https://kensa.example.com docker-compose -f docker-compose.yml config -q
	@if env -u KENSA_BASE_URL docker-compose -f docker-compose.yml config -q 2>/dev/null; then \
	  echo "docker-compose.yml starts without KENSA_BASE_URL: it must be required"; exit 1; fi

unit:
	@mkdir -p .run
	KENSA_REQUIRE=all $(GO) test -race -count=1 -timeout 30m ./... 2>&1 | tee .run/unit.log; exit $${PIPESTATUS[0]}

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
fuzz: setup
	@scripts/fuzz.sh $(FUZZTIME)

bench: build
	@scripts/bench.sh

# The browser extension as a zip for the Chrome Web Store (bin/), built by
# esbuild and linted by web-ext (Mozilla's addons-linter) first.
extension: setup
	cd extension && node build.mjs && npx --no-install web-ext lint --source-dir dist --no-config-discovery && \
	  npx --no-install web-ext build --source-dir dist --artifacts-dir ../bin --overwrite-dest --no-config-discovery \
	    --filename "kensa-extension-{version}.zip"

clean:
	rm -rf bin .run extension/dist
