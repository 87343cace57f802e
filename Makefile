# casecircle: the two commands a newcomer needs are `make run` and `make test`.
GO   ?= go
BIN  := bin/casecircle
ADDR ?= 127.0.0.1:8080

.PHONY: run test race fuzz build bench fmt-check vet lint deps-run deps-test clean gazetteers

## run: install PostgreSQL if missing, build, and serve on the embedded database with demo data
run: deps-run build
	./$(BIN) serve --demo --addr $(ADDR)

## test: install test dependencies if missing, then gofmt check; go vet, make lint and all tests with -race side by side; a short fuzz run
## (a count, not a duration: -fuzztime 10s sometimes failed with "context deadline exceeded" and no
## crasher, a race in Go's fuzz coordinator, golang/go#56238 and its kin)
## (vet, lint and one fuzzing worker run beside the tests: the browser tests leave a core mostly idle)
test: deps-test fmt-check
	$(MAKE) --no-print-directory -j4 vet lint race fuzz

race:
	$(GO) test -race -count=1 ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzAnonymise -fuzztime 150000x -fuzzminimizetime 2s -parallel 1 ./casestudy/anonymise

## bench: the Go benchmarks, then the standard load scenarios (medians of 3 runs) into docs/benchmarks.md
bench: deps-run
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./...
	$(GO) build -o bin/ ./cmd/casecircle ./cmd/casecircle-bench
	./bin/casecircle-bench suite --repeat $(BENCH_REPEAT) --out docs/benchmarks.md

BENCH_REPEAT ?= 3

## gazetteers: regenerate the anonymiser's word lists from npm packages (maintainers only; needs Node)
gazetteers:
	cd casestudy/anonymise/gazetteer/build && npm install --no-audit --no-fund && node build.mjs
	go generate ./casestudy/anonymise

build:
	$(GO) build -o $(BIN) ./cmd/casecircle

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './bin/*' -not -path './data/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change these files (run gofmt -w):"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## lint: staticcheck, and no function above cyclomatic complexity 25 (tests and the anonymiser's
## detectors, which are long lists of cases, aside); both tools are pinned in go.mod's tool block
lint:
	$(GO) tool staticcheck ./...
	$(GO) tool gocyclo -over 25 -ignore '_test\.go$$|casestudy/anonymise/' .

clean:
	rm -rf bin

# have_postgres succeeds when PostgreSQL server binaries are where casecircle looks for them.
have_postgres = ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	{ command -v pg_config >/dev/null 2>&1 && [ -x "$$(pg_config --bindir)/initdb" ]; }
have_chromium = [ -x /usr/bin/chromium ]

# install(packages, why): apt-get as root, through sudo otherwise, or print the exact command.
define install
	if command -v apt-get >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	  else echo "casecircle needs $(2). Please run as root: apt-get update && apt-get install -y $(1)"; exit 1; fi; \
	  echo "Installing $(1) ($(2))..."; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null && \
	  echo "Installed $(1)."; \
	else \
	  echo "casecircle needs $(2): install it with your package manager (macOS: brew install $(3))"; exit 1; \
	fi
endef

deps-run:
	@$(have_postgres) || { $(call install,postgresql,PostgreSQL server binaries for the embedded database,postgresql); }

deps-test:
	@$(have_postgres) || { $(call install,postgresql,PostgreSQL server binaries for the tests,postgresql); }
	@$(have_chromium) || { $(call install,chromium,Chromium for the browser tests,--cask chromium); }
