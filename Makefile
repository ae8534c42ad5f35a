# bertgrid: `make demo` runs the demo grid, `make test` builds and runs the tests.
# Both install the Debian packages they need first (scripts/install-deps.sh).
BUILD    ?= build
SHARED   ?= $(abspath ../shared)
JOBS     ?= $(shell nproc)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")

# Open MPI refuses root unless told otherwise; only the runs this project starts itself set it.
MPI_ROOT_ENV := OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

.PHONY: all deps configure build test check demo clean format test-analysis sanitize fuzz \
	fuzz-smoke

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -G "$(GENERATOR)" -DBERTGRID_SHARED_DIR=$(SHARED) $(CMAKE_ARGS)

configure: deps $(BUILD)/$(if $(filter Ninja,$(GENERATOR)),build.ninja,Makefile)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	$(MPI_ROOT_ENV) ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE slow
	$(MAKE) test-analysis

check: build
	$(MPI_ROOT_ENV) ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The analysis scripts' tests (Debian's python3 with pandas, matplotlib, h5py, numpy, pytest).
test-analysis:
	/usr/bin/python3 -m pytest -q analysis/tests

# The demo grid on CPU: the real dataset, a small randomly initialised DistilBERT, 2 ranks. It
# builds only the bertgrid binary. The dataset is $BERTGRID_DATA when set, else the shared
# folder's copy, else data/hate-speech-dataset (a clone of the public repository when missing).
# The vocab ships in models/.
DEMO_RANKS ?= 2

# ASan + UBSan (clang 14, UB fatal) build in its own folder, the unit tests without slow/oracle.
# The same build holds the libFuzzer targets (BERTGRID_FUZZ=ON), so `make fuzz` reuses it.
# Sanitizer runtime options are compiled in (cmake/sanitizer_defaults.cpp).
SAN_BUILD ?= build-asan
sanitize: deps
	@[ -f $(SAN_BUILD)/build.ninja ] || CC=clang-14 CXX=clang++-14 cmake -S . -B $(SAN_BUILD) -G Ninja \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTGRID_SHARED_DIR=$(SHARED) \
		-DBERTGRID_SANITIZE=ON -DBERTGRID_FUZZ=ON $(CMAKE_ARGS)
	cmake --build $(SAN_BUILD) -j $(JOBS)
	$(MPI_ROOT_ENV) ctest --test-dir $(SAN_BUILD) --output-on-failure -j $(JOBS) -LE 'slow|oracle|slurm'

# Each fuzz target for FUZZ_SECONDS (default 600) + exec/s and parser line coverage.
FUZZ_SECONDS ?= 600
fuzz: deps
	FUZZ_BUILD=$(SAN_BUILD) SHARED=$(SHARED) JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_SECONDS)

# CI: each target briefly, no coverage build.
fuzz-smoke: deps
	FUZZ_BUILD=$(SAN_BUILD) SHARED=$(SHARED) JOBS=$(JOBS) FUZZ_COVERAGE=0 scripts/fuzz.sh 20

demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target bertgrid
	@data="$${BERTGRID_DATA:-}"; \
	for d in "$(SHARED)/data/hate-speech-dataset" data/hate-speech-dataset; do \
	  [ -n "$$data" ] || [ ! -d "$$d" ] || data="$$d"; done; \
	if [ -z "$$data" ]; then \
	  echo "demo: cloning the dataset into data/"; data=data/hate-speech-dataset; \
	  git clone --depth 1 https://github.com/Vicomtech/hate-speech-dataset.git "$$data"; fi; \
	echo "demo: dataset $$data"; \
	$(MPI_ROOT_ENV) mpirun -np $(DEMO_RANKS) --oversubscribe $(BUILD)/bertgrid run \
	  --config configs/demo.toml --force --data "$$data"
	/usr/bin/python3 analysis/report.py runs/demo

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD)
