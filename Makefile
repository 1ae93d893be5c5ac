# Thin front over CMake. `make test` on a fresh machine installs, builds and runs every test.
BUILD   ?= build
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=
DEPS       = g++ cmake make libeigen3-dev libcxxopts-dev nlohmann-json3-dev doctest-dev help2man time
EXTRAS     = gnuplot-nox parallel
BENCH_DEPS = libboost-dev python3-torch python3-scipy python3-numpy libopenblas0-openmp
TOOLS      = integrate poincare pinn-train sympflow-train node-fit cnf-sample

.PHONY: deps build test demo bench bench-deps man clean

deps:
	@.ci/install-deps $(DEPS)
	@.ci/install-deps $(EXTRAS) || echo "optional extras not installed: $(EXTRAS) (examples/ need them)"

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	PATH="$(CURDIR)/$(BUILD):$$PATH" examples/henon-heiles.sh

bench-deps: deps
	@.ci/install-deps $(BENCH_DEPS)

bench: build bench-deps
	PATH="$(CURDIR)/$(BUILD):$$PATH" bench/run.sh

man: build
	@export SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || date +%s); \
	for t in $(TOOLS); do \
	  help2man --no-info --include=man/$$t.x --output=man/$$t.1 $(BUILD)/$$t || exit 1; done

clean:
	rm -rf $(BUILD)
