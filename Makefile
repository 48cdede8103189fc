# The two commands of the README: `make demo` (build, busybox bundle, run a container) and
# `make test` (every test tier). Both install what they need first.
SWIFT ?= swift
SWRUN := .build/release/swrun

.PHONY: deps build demo test unit conformance security fuzz fuzz-long engines-deps test-engines kubernetes-deps \
	test-kubernetes test-vm bench bench-all bench-vm bench-phases bench-scale bench-scale-vm bench-growth bench-growth-vm bench-engines soak clean

deps:
	scripts/install-deps.sh

# scripts/build-release.sh: swift build -c release, a static executable (Package.swift: no shared
# object to load at start-up), the code a start runs laid out together (linker/swrun.order),
# then the debug info split into $(SWRUN).debug and the binary stripped, with a debuglink to
# it for backtraces. See bench/README.md.
build: deps
	SWIFT=$(SWIFT) scripts/build-release.sh

demo: build
	scripts/demo.sh

unit: deps
	$(SWIFT) test

conformance: build
	RUNTIME=$(CURDIR)/$(SWRUN) python3 -m pytest -q -p no:cacheprovider Tests/conformance

# Each runtime CVE class played as an attacker would (Tests/security/README.md).
# The release binary is static; the attacks that go in as its ELF loader are played against the
# debug build, the same sources linked dynamically (RUNTIME_DYNAMIC, Tests/security/conftest.py).
security: build
	$(SWIFT) build --product swrun
	RUNTIME=$(CURDIR)/$(SWRUN) RUNTIME_DYNAMIC=$(CURDIR)/.build/debug/swrun \
		python3 -m pytest -q -p no:cacheprovider Tests/security

# Generated inputs: mutated config.json, damaged state.json, odd CLI values (Tests/fuzz/README.md).
# fuzz: the CI-sized tier (600 configs); fuzz-long: FUZZ_CASES (default 20000), outside CI.
FUZZ_CASES ?= 20000
fuzz: build
	RUNTIME=$(CURDIR)/$(SWRUN) python3 -m pytest -q -p no:cacheprovider Tests/fuzz

fuzz-long: build
	RUNTIME=$(CURDIR)/$(SWRUN) FUZZ_CASES=$(FUZZ_CASES) python3 -m pytest -q -p no:cacheprovider Tests/fuzz

# Real engines (containerd, dockerd, podman) driving swrun; see docs/engines.md.
engines-deps:
	scripts/install-engines.sh

test-engines: build engines-deps
	RUNTIME=$(CURDIR)/$(SWRUN) python3 -m pytest -q -p no:cacheprovider Tests/engines

# Kubernetes without a kubelet: containerd 1.6's CRI plugin driven over gRPC, its runc shim
# running swrun (Tests/kubernetes/README.md). The CRI client runs in a venv the script makes.
KUBE_VENV ?= /var/cache/swrun-kubernetes/venv
kubernetes-deps:
	KUBE_VENV=$(KUBE_VENV) scripts/install-kubernetes.sh

test-kubernetes: build kubernetes-deps
	RUNTIME=$(CURDIR)/$(SWRUN) $(KUBE_VENV)/bin/python -m pytest -q -p no:cacheprovider Tests/kubernetes

# Pure cgroup v2 (and systemd as PID 1) in a TCG VM: see scripts/vm/test-vm.sh.
test-vm: build
	RUNTIME=$(CURDIR)/$(SWRUN) scripts/vm/test-vm.sh

# In this order (without -j): the fast tiers first, the VM last.
test: unit conformance security fuzz test-engines test-kubernetes test-vm

bench: build
	SWRUN=$(CURDIR)/$(SWRUN) bench/run

# Every figure of bench/README.md in one go (45 minutes): bench on the host and in the pure
# cgroup v2 VM (with crun), phases, scale, growth, engines.
bench-all: bench bench-vm bench-phases bench-scale bench-growth bench-engines

# bench/run in one test VM (pure cgroup v2, crun beside runc; TCG, so 10 iterations).
VM_BENCH_ARGS ?= -n 10
bench-vm: build
	SWRUN=$(CURDIR)/$(SWRUN) bench/run -V $(VM_BENCH_ARGS)

# Outside `make bench` (a minute): the wall time of one `run` cut into phases at kernel
# events, beside the unshare floor's (bench/README.md, "Where the time goes").
PHASES_ARGS ?=
bench-phases: build
	SWRUN=$(CURDIR)/$(SWRUN) bench/phases $(PHASES_ARGS)

# Outside `make bench` (a few minutes): lifecycle times with 1, 10, 100 and 1,000 running
# containers under one root, and ps/events of a container with 1,000 processes, swrun beside
# runc (bench/README.md, "Scale"). SCALE_ARGS e.g. "-s 30 --sizes 1,10,100".
SCALE_ARGS ?=
bench-scale: build
	SWRUN=$(CURDIR)/$(SWRUN) bench/scale $(SCALE_ARGS)

# bench/scale in one test VM (pure cgroup v2, 6 GB guest), swrun beside crun; TCG, so it
# takes about 22 minutes with 1,000 containers. Not in bench-all (bench/README.md, "Scale").
VM_SCALE_ARGS ?= -s 10 --sizes 1,1000 --procs 0 --runtimes swrun,crun
bench-scale-vm: build
	scripts/vm/run.sh --memory 6G --timeout 3300 -- env SWRUN=$(CURDIR)/$(SWRUN) SWRUN_NO_BUILD=1 \
		RUNC="$$(command -v runc)" CRUN="$$(command -v crun)" python3 bench/scale $(VM_SCALE_ARGS)

# Outside `make bench` (five minutes): where create's, start's and delete's extra time goes
# with 1,000 containers running, by syscall, swrun beside runc (bench/README.md, "Growth").
GROWTH_ARGS ?= --runtimes swrun,runc
bench-growth: build
	SWRUN=$(CURDIR)/$(SWRUN) bench/growth $(GROWTH_ARGS)

# bench/growth in one test VM (pure cgroup v2, 6 GB guest; tracefs mounted there first).
# About 4 minutes (bench/README.md, "Scale in the pure cgroup v2 VM").
VM_GROWTH_ARGS ?= -n 10 --at 1000 --runtimes swrun
bench-growth-vm: build
	scripts/vm/run.sh --memory 6G --timeout 3000 -- sh -c 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; \
		SWRUN=$(CURDIR)/$(SWRUN) exec python3 bench/growth $(VM_GROWTH_ARGS)'

# Outside `make bench`: `podman run --rm busybox true` and a CRI pod start (containerd's CRI
# plugin, its runc shim) with swrun and with runc, interleaved (bench/README.md, "Engines").
bench-engines: build engines-deps kubernetes-deps
	SWRUN=$(CURDIR)/$(SWRUN) $(KUBE_VENV)/bin/python bench/engines

# Outside CI (not in `make test`): 1,000 lifecycles on 8 workers plus same-ID races, swrun and
# runc side by side, counting errors and leftovers (bench/README.md, "Soak").
SOAK_ARGS ?= -n 1000 -j 8 -r 100 -w 4
soak: build
	SWRUN=$(CURDIR)/$(SWRUN) bench/soak $(SOAK_ARGS)

clean:
	rm -rf .build
