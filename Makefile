# iotauth — the commands CI and developers run.
#
# The repository holds several Go modules (the root one and those a user opts
# into: store/redisstore, cmd/iotauth, examples, otel, ...), tied together by
# go.work. "go test ./..." does not cross into a nested module, so every target
# loops over the modules go.work lists.
GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
BENCHCOUNT ?= 6

# MODULES: the directories of the workspace's modules, except benchmarks
# (compiled and vetted by "test", run by "bench").
MODULES := $(filter-out %/benchmarks,$(shell $(GO) list -m -f '{{.Dir}}'))

.PHONY: test bench fuzz lint tidy modules rootdeps doccheck

## test: vet and race-test every package of every module; vet and compile the benchmarks.
test:
	@set -e; for m in $(MODULES); do \
	  echo "== .$${m#$(CURDIR)}"; \
	  (cd $$m && $(GO) vet ./... && $(GO) test -race -count=1 ./...); \
	done
	@echo "== benchmarks"
	cd benchmarks && $(GO) vet ./... && $(GO) test -count=1 -run . -bench '^$$' ./...

## modules: list the modules "test" covers.
modules:
	@for m in $(MODULES) $(CURDIR)/benchmarks; do echo ".$${m#$(CURDIR)}"; done

## tidy: check that go.work uses every go.mod of the repository (else "test"
## would skip it), and that every module's go.mod and go.sum are tidy on their
## own (GOWORK=off: as a user fetching the module sees them).
tidy:
	@missing=$$(find . -name go.mod -not -path './.git/*' -not -path '*/testdata/*' -exec dirname {} \; | \
	  while read d; do d=$$(cd $$d && pwd); case " $(MODULES) $(CURDIR)/benchmarks " in *" $$d "*) ;; *) echo ".$${d#$(CURDIR)}";; esac; done); \
	  if [ -n "$$missing" ]; then echo "go.work does not use: $$missing (run 'go work use' on them)"; exit 1; fi
	@set -e; for m in $(MODULES) $(CURDIR)/benchmarks; do \
	  (cd $$m && GOWORK=off $(GO) mod tidy -diff) || { echo "go.mod of .$${m#$(CURDIR)} is not tidy: run 'go mod tidy' there"; exit 1; }; \
	done

space := $(subst ,, )
# ROOT_FORBIDDEN: modules the root module must not require, even for its
# tests: they belong in the module that needs them.
ROOT_FORBIDDEN := github.com/spf13/cobra github.com/redis/go-redis github.com/eclipse/paho.mqtt.golang github.com/aliyun/alibaba-cloud-sdk-go go.opentelemetry.io/otel github.com/jarcoal/httpmock github.com/huaweicloud/huaweicloud-sdk-go-v3

## doccheck: fail when an exported identifier of any module has no doc comment.
doccheck:
	$(GO) run ./internal/doccheck .

## rootdeps: check that the root module's graph has none of ROOT_FORBIDDEN.
rootdeps:
	@found=$$(GOWORK=off $(GO) mod graph | tr ' ' '\n' | sed 's/@.*//' | sort -u | grep -E '^($(subst $(space),|,$(strip $(ROOT_FORBIDDEN))))(/v[0-9]+)?$$' || true); \
	  if [ -n "$$found" ]; then echo "the root module's graph has: $$found"; exit 1; fi

## bench: run the benchmarks (see BENCHMARKS.md for the latest results).
bench:
	cd benchmarks && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./...

## fuzz: run every fuzz target of every module for FUZZTIME each.
fuzz:
	@set -e; for m in $(MODULES); do \
	  cd $$m; \
	  for pkg in $$($(GO) list ./...); do \
	    for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	      echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	    done; \
	  done; \
	done

## lint: formatting, vet and staticcheck, in every module.
lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt needed" && exit 1)
	@set -e; for m in $(MODULES) $(CURDIR)/benchmarks; do \
	  echo "== .$${m#$(CURDIR)}"; \
	  (cd $$m && $(GO) vet ./... && $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...); \
	done
