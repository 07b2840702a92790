# supervise — see README.md. Two commands matter: `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN     := bin/supervise
FUZZTIME ?= 60s

.PHONY: all build run test unit e2e bench lint fuzz chaos soak clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/supervise

# The demo needs nothing installed: shell loops, a progress bar, a cron job.
run: build
	./examples/demo.sh $(BIN)

# Every test: lint, unit tests with the race detector, the end-to-end suite,
# then the fault and abuse suite in its short mode (a few minutes).
test: lint unit e2e chaos

unit:
	$(GO) test -race -count=1 ./...

e2e: build
	./e2e/run.sh $(BIN)
	./scripts/logfile_e2e.sh $(BIN)

lint:
	$(GO) vet -tags e2e ./e2e/
	$(GO) vet -tags chaos ./chaos/
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: build
	./bench/run.sh $(BIN)

fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

chaos: build
	./chaos/run.sh $(BIN)

soak: build
	SOAK=1 ./chaos/run.sh $(BIN)

clean:
	rm -rf bin var
