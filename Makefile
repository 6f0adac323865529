# clipkit developer and demo tasks. Every target is safe to run again.
#
#   make demo     set up if needed, then cut the shipped samples into Reels clips in out/
#   make test     set up if needed, then run the test suite
#   make lint     set up if needed, then ruff (lint and format) and mypy over all the code
#
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.clipkit-installed
OUT    ?= out

.PHONY: setup demo test lint samples bench train clean plans clips

setup: $(STAMP)

# Re-install only when the package metadata changes: a second `make setup` is instant.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "clipkit needs Python >= 3.10, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,cluster,export]'
	@touch $@

demo: setup
	$(BIN)/clipkit cut --preset reels samples/ -o $(OUT)/

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check clipkit tools tests bench
	$(BIN)/ruff format --check clipkit tools tests bench
	$(BIN)/mypy clipkit tools tests bench

samples: setup
	$(BIN)/python -m tools.samplegen samples/

# Fit the detection model (clipkit/detection/model.json) on the labelled footage in
# ../shared/footage* and the synthetic events made from it (tools/_work/, not committed).
train: setup
	$(BIN)/python -m tools.train

bench: setup
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/cluster.py

clean:
	rm -rf $(OUT) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

# -- The content workflow: footage -> plans you review -> clips per platform ------------
#
#   make plans                  detect moments; writes $(PLANS)/<video>.yaml (edit captions,
#                               delete clips you don't want)
#   make clips                  render every plan for every platform into $(OUT)/<preset>/
#   make clips FOOTAGE=~/week42 PLATFORMS="reels shorts"
#   make plans DETECT="--sensitivity 0.7"   (any `clipkit detect` option)
#
# Both steps are incremental: make re-detects only changed footage, and clipkit
# re-renders only the clips whose source, plan or preset changed. A plan you edited is
# never overwritten: when its video changes, make stops and says so; `touch` the plan
# to keep it as it is, or delete it to detect again.
FOOTAGE   ?= samples
PLANS     ?= plans
PLATFORMS ?= reels tiktok shorts
CLIPKIT   ?= $(BIN)/clipkit
SETUP     ?= $(STAMP)
DETECT    ?=
EXTS      := mp4 mov m4v mkv avi webm 3gp mts m2ts mpg
VIDEOS    := $(sort $(foreach e,$(EXTS) $(shell echo $(EXTS) | tr a-z A-Z),$(wildcard $(FOOTAGE)/*.$(e))))
PLAN_FILES := $(VIDEOS:$(FOOTAGE)/%=$(PLANS)/%.yaml)

# make splits file names at spaces, so a video named "day 1.mp4" would become two
# nonsense targets; say so plainly instead (clipkit cut takes any name).
ifneq ($(filter plans clips,$(MAKECMDGOALS)),)
SPACED := $(shell find '$(FOOTAGE)' -maxdepth 1 -type f -name '* *' 2>/dev/null | sort | sed -n '1s,.*/,,p')
ifneq ($(SPACED),)
$(error make cannot handle file names with spaces, such as "$(SPACED)" in $(FOOTAGE): rename them (spaces to _), or run clipkit cut, which takes any name)
endif
endif

plans: $(PLAN_FILES)

# A recipe that fails leaves no half-made target behind for the next run to trust.
.DELETE_ON_ERROR:

$(PLANS)/%.yaml: $(FOOTAGE)/% | $(SETUP)
	@mkdir -p $(@D)
	$(CLIPKIT) detect --quiet $(DETECT) --plan $@ $<

clips: $(OUT)/manifest.json

# clipkit rewrites the manifest only when it changes; touch it so make sees the step done.
$(OUT)/manifest.json: $(PLAN_FILES) | $(SETUP)
	$(if $(PLAN_FILES),,$(error no video files in FOOTAGE=$(FOOTAGE)))
	$(CLIPKIT) render --quiet $(addprefix --preset ,$(PLATFORMS)) -o $(OUT) $(PLAN_FILES)
	@touch $@
