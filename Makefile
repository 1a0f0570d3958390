# must-gather toolkit. `make help` lists the targets.

NAME    := must-gather-toolkit
MODULE  := github.com/must-gather/toolkit
VERSION := $(shell cat VERSION)

GIT_COMMIT ?= $(or $(shell git rev-parse --verify -q HEAD 2>/dev/null),unknown)
GIT_SHORT  := $(shell git rev-parse --verify -q --short=8 HEAD 2>/dev/null)
# RELEASE=1 reports VERSION as it is; every other build carries a qualifier,
# so the version line is always major.minor.micro[-qualifier].
RELEASE ?= 0
ifeq ($(RELEASE),1)
BUILD_VERSION := $(VERSION)
else
BUILD_VERSION := $(VERSION)-dev$(if $(GIT_SHORT),.$(GIT_SHORT))
endif

REGISTRY ?= quay.io/must-gather
IMAGE    ?= $(REGISTRY)/$(NAME):v$(VERSION)

# One set of ldflags carries the whole identity into the binaries.
LDFLAGS := -s -w -buildid= \
	-X $(MODULE)/pkg/version.productName=$(NAME) \
	-X $(MODULE)/pkg/version.gitVersion=$(BUILD_VERSION) \
	-X $(MODULE)/pkg/version.gitCommit=$(GIT_COMMIT) \
	-X $(MODULE)/pkg/version.defaultImage=$(IMAGE)

BIN := _output/bin
comma := ,
# Every Go module of the repository (a root ./... skips nested modules).
GO_MODULES := $(patsubst %/go.mod,%,$(shell find . -name go.mod -not -path './_output/*' | sort))

# Static binaries, and one CGO setting everywhere (switching it rebuilds
# everything, Kubernetes included).
export CGO_ENABLED := 0

.PHONY: help build release-artifacts run test test-unit fuzz verify deps cluster-up cluster-down cluster-status cluster-load-image cluster-stop-kubelet cluster-start-kubelet bench clean image-base image image-ubi image-example image-archive image-multiarch release

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

build: ## build static binaries into _output/bin
	go build -trimpath -buildvcs=false -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

# Where people run the client (kubectl runs there), and where nodes run gather.
CLIENT_PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
GATHER_PLATFORMS := linux/amd64 linux/arm64 linux/ppc64le linux/s390x

release-artifacts: ## write the client's and gather's release archives, sha256sums.txt and the krew manifest into _output/release
ifeq ($(RELEASE),1)
	go run ./hack/release --version $(VERSION) --ldflags '$(LDFLAGS)' --source-date-epoch $(SOURCE_DATE_EPOCH) \
		--client-platforms $(subst $(eval) ,$(comma),$(CLIENT_PLATFORMS)) \
		--gather-platforms $(subst $(eval) ,$(comma),$(GATHER_PLATFORMS)) --out _output/release
else
	$(MAKE) release-artifacts RELEASE=1
endif

run: build ## gather from the current kubeconfig's cluster, or from the local test cluster
	hack/install-deps.sh run
	hack/run.sh

test: build ## run every test of every module (unit, integration and e2e on the real test cluster)
	hack/install-deps.sh test
	hack/test.sh

FUZZTIME ?= 30s
fuzz: ## run each Go fuzz test for FUZZTIME (default 30s; their seeds run in make test)
	FUZZTIME=$(FUZZTIME) hack/fuzz.sh

deps: ## install the Debian packages `make test` needs (make run and make test do it themselves)
	hack/install-deps.sh test

test-unit: ## run the unit tests only (no cluster)
	@set -e; for m in $(GO_MODULES); do echo "== $$m"; (cd $$m && go test -short -count=1 ./...); done

verify: ## gofmt, go vet and go mod tidy, in every module
	@set -e; out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@set -e; for m in $(GO_MODULES); do echo "== vet $$m"; (cd $$m && go vet ./... && go mod tidy -diff); done
	@# What the client is made of builds and vets on every platform it is released for.
	@set -e; for p in $(CLIENT_PLATFORMS); do echo "== vet the client's packages for $$p"; \
		export GOOS=$${p%/*} GOARCH=$${p#*/}; go vet $$(go list -deps ./cmd/kubectl-must_gather | grep '^$(MODULE)/'); done

CLUSTER_NODE ?= 0
cluster-up: ## start the local test cluster (CLUSTER_NODE=1: with a real node); kubeconfig in _output/cluster/kubeconfig
	CLUSTER_NODE=$(CLUSTER_NODE) hack/cluster.sh up

cluster-down: ## stop the local test cluster and remove everything it left
	hack/cluster.sh down

cluster-status: ## say whether the local test cluster runs
	hack/cluster.sh status

cluster-load-image: ## import ARCHIVE (OCI or docker archive) into the test cluster's node
	@test -n "$(ARCHIVE)" || { echo "usage: make cluster-load-image ARCHIVE=path/to/image.tar"; exit 2; }
	hack/cluster.sh load-image $(ARCHIVE)

cluster-stop-kubelet: ## stop the test node's kubelet: the node goes NotReady (its pods keep running)
	hack/cluster.sh stop-kubelet

cluster-start-kubelet: ## start the test node's kubelet again and wait until the node is Ready
	hack/cluster.sh start-kubelet

PROFILE ?= small
bench: ## measure gather, the client, kubectl cluster-info dump and a bare client on the running test cluster (PROFILE=small|large|scale; see BENCHMARKS.md)
	PROFILE=$(PROFILE) hack/bench.sh

# Images. podman runs with the settings of images/containers.conf (what works
# on our machines); its store is podman's own choice, which the environment
# may change (CONTAINERS_STORAGE_CONF, as hack/image-test.sh does, so the
# documented commands run unchanged); PODMAN_ARGS adds global podman
# arguments.
PODMAN      ?= podman
PODMAN_ARGS ?=
BASE_IMAGE  ?= localhost/must-gather-base:busybox
MOVING_TAG  ?= $(REGISTRY)/$(NAME):latest
# The commit's time: the same commit builds the same image.
SOURCE_DATE_EPOCH ?= $(or $(shell git log -1 --format=%ct 2>/dev/null),0)
CONTAINERS_CONF ?= $(CURDIR)/images/containers.conf
export CONTAINERS_CONF

# SESSION_TOOLS=1 adds util-linux setsid and procps ps/pkill to the base (for
# testing oc's command line branch that uses them).
SESSION_TOOLS ?= 0
image-base: ## import the local busybox + bash-static base userland (no registry needed)
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) SESSION_TOOLS=$(SESSION_TOOLS) images/base/build.sh $(BASE_IMAGE) $(PODMAN_ARGS)

image: build image-base ## build $(IMAGE) (and $(MOVING_TAG)) from the local base
	$(PODMAN) $(PODMAN_ARGS) build --pull=never --no-cache --timestamp $(SOURCE_DATE_EPOCH) \
		--build-arg BASE=$(BASE_IMAGE) --build-arg VERSION=$(BUILD_VERSION) --build-arg REVISION=$(GIT_COMMIT) \
		-t $(IMAGE) -t $(MOVING_TAG) -f Dockerfile .

# The multi-architecture image: one manifest list of an image per platform of
# GATHER_PLATFORMS, from the same commit. gather cross-compiles (static Go);
# each base comes from Debian's packages of its architecture
# (images/base/build.sh with ARCH); Containerfile.multiarch has no RUN
# step, so no emulation is needed. The list is rebuilt from scratch each time.
MANIFEST_ADD_ARGS ?=
image-multiarch: ## build $(IMAGE) as a manifest list for linux/amd64, arm64, ppc64le and s390x (no emulation)
	@set -e; for p in $(GATHER_PLATFORMS); do arch=$${p#*/}; \
		echo "== gather and the base for $$p"; \
		GOOS=linux GOARCH=$$arch go build -trimpath -buildvcs=false -ldflags "$(LDFLAGS)" -o $(BIN)/linux_$$arch/gather ./cmd/gather; \
		SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) ARCH=$$arch images/base/build.sh $(BASE_IMAGE)-$$arch $(PODMAN_ARGS) >/dev/null; \
	done
	@if $(PODMAN) $(PODMAN_ARGS) manifest exists $(IMAGE); then $(PODMAN) $(PODMAN_ARGS) manifest rm $(IMAGE) >/dev/null; \
	elif $(PODMAN) $(PODMAN_ARGS) image exists $(IMAGE); then $(PODMAN) $(PODMAN_ARGS) untag $(IMAGE) $(IMAGE); fi
	@set -e; for p in $(GATHER_PLATFORMS); do arch=$${p#*/}; echo "== image for $$p"; \
		$(PODMAN) $(PODMAN_ARGS) build --pull=never --no-cache --timestamp $(SOURCE_DATE_EPOCH) --platform $$p \
			--build-arg BASE=$(BASE_IMAGE)-$$arch --build-arg VERSION=$(BUILD_VERSION) --build-arg REVISION=$(GIT_COMMIT) \
			--manifest $(IMAGE) -f Containerfile.multiarch . ; \
	done

# The UBI image. Here no registry is reachable: build it from local images,
# with the host's Go toolchain and module cache mounted into the builder
# stage and no package installs:
#   make image-ubi UBI_BUILDER=$(BASE_IMAGE) UBI_BASE=$(BASE_IMAGE) UBI_LOCAL=1
UBI_BUILDER ?= registry.access.redhat.com/ubi9/go-toolset:latest
UBI_BASE    ?= registry.access.redhat.com/ubi9/ubi-minimal:latest
UBI_IMAGE   ?= $(REGISTRY)/$(NAME):v$(VERSION)-ubi
UBI_LOCAL   ?= 0
ifeq ($(UBI_LOCAL),1)
UBI_BUILD_ARGS := --build-arg INSTALL_PACKAGES= --build-arg GOPROXY=off --build-arg GOFLAGS=-mod=mod \
	-v $(shell go env GOROOT):/usr/local/go:ro -v $(shell go env GOMODCACHE):/root/go/pkg/mod \
	-v $(shell go env GOCACHE):/root/.cache/go-build
endif

image-ubi: ## build $(UBI_IMAGE) from Containerfile.ubi (see UBI_LOCAL above for offline builds)
	$(PODMAN) $(PODMAN_ARGS) build --pull=never --no-cache --timestamp $(SOURCE_DATE_EPOCH) \
		--ignorefile images/ubi.containerignore $(UBI_BUILD_ARGS) \
		--build-arg BUILDER=$(UBI_BUILDER) --build-arg BASE=$(UBI_BASE) --build-arg LDFLAGS="$(LDFLAGS)" \
		--build-arg VERSION=$(BUILD_VERSION) --build-arg REVISION=$(GIT_COMMIT) \
		-t $(UBI_IMAGE) -f Containerfile.ubi .

# A release: the multi-architecture list of VERSION as it is (no qualifier),
# pushed with all its images under its per-release tag v$(VERSION) and the
# moving tag.
PUSH_ARGS ?=
release: ## build the manifest list with RELEASE=1 and push it as $(IMAGE) and $(MOVING_TAG)
	$(MAKE) image-multiarch RELEASE=1
	$(PODMAN) $(PODMAN_ARGS) manifest push --all $(PUSH_ARGS) $(IMAGE) docker://$(IMAGE)
	$(PODMAN) $(PODMAN_ARGS) manifest push --all $(PUSH_ARGS) $(IMAGE) docker://$(MOVING_TAG)

# The example of a product's image built on ours (docs/write-an-image.md).
EXAMPLE_IMAGE ?= $(REGISTRY)/example-operator-must-gather:latest
image-example: image ## build $(EXAMPLE_IMAGE) from images/example-operator, on $(IMAGE)
	$(PODMAN) $(PODMAN_ARGS) build --pull=never --no-cache --timestamp $(SOURCE_DATE_EPOCH) \
		--build-arg BASE=$(IMAGE) -t $(EXAMPLE_IMAGE) images/example-operator

image-archive: image ## write _output/image.tar, a docker archive `make cluster-load-image` accepts
	rm -f _output/image.tar
	$(PODMAN) $(PODMAN_ARGS) save --format docker-archive -o _output/image.tar $(IMAGE)

clean: ## remove build output and the cached base .debs (stop the test cluster first)
	rm -rf $(BIN) _output/base-debs

print-%: ## print a variable, e.g. make print-IMAGE
	@echo $($*)
