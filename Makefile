# Two commands a person needs: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV ?= .venv
# The CPU build that lies on these machines' disks; a GPU user overrides it, e.g.
#   make run TORCH_SPEC="torch==2.11.0 --index-url https://download.pytorch.org/whl/cu128"
TORCH_CPU := torch==2.13.0
TORCH_SPEC ?= $(TORCH_CPU)
ifeq ($(TORCH_SPEC),$(TORCH_CPU))
VENV_NOTE := PyTorch CPU build, about 1 GB, a minute or so
else
VENV_NOTE := $(TORCH_SPEC); a GPU build is several GB, minutes
endif
BIN := $(VENV)/bin
SAMPLE := resources/samples/bbb_bw.mp4
OUT_DIR ?= out

.PHONY: run test lint venv clean bench sample-film package package-archive selftest selftest-bundle \
	gpu-kit-pack gpu-kit gpu-kit-smoke

venv: $(VENV)/.installed

# pip is quiet, so say what the wait is for.
$(VENV)/.installed: pyproject.toml
	@echo "Setting up $(VENV) ($(VENV_NOTE))…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check $(TORCH_SPEC)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@
	@echo "$(VENV) is ready."

# The app on the bundled sample film: the window when there is a screen,
# otherwise the same restoration headless through the CLI. On X11, first a check
# that Qt's xcb plugin can load: without libxcb-cursor0 & co. Qt only aborts with
# a list of plugins; the check names the apt packages (gui/display_check.py).
run: venv
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(BIN)/python -m panchro.gui.display_check || exit 1; \
		$(BIN)/panchro-gui $(SAMPLE); \
	else \
		echo "No display: colorizing the sample film headless, its dust filled and its flicker evened out (automatic picks, seed 0)."; \
		mkdir -p $(OUT_DIR); \
		$(BIN)/panchro restore $(SAMPLE) $(OUT_DIR)/bbb_restored.mp4 --colorize --dust 1 --deflicker 1 \
			--project $(OUT_DIR)/bbb.panchro --overwrite --restart || exit 1; \
		echo "Each shot took the consensus of 8 candidate colourings. The colour modes to choose"; \
		echo "from: $(BIN)/panchro sample $(SAMPLE) -k 8 -o $(OUT_DIR)/modes.png"; \
	fi

# The cluster tests start a local Ray cluster (issue 20): Ray is installed for the tests,
# never for the app itself (`pip install 'panchro[cluster]'` is a user's choice).
$(VENV)/.cluster: $(VENV)/.installed
	@echo "Installing Ray for the cluster tests (the optional extra 'cluster')…"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[cluster]'
	touch $@

test: venv $(VENV)/.cluster lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: venv
	$(BIN)/panchro bench io

# Does this checkout work end to end? (the engine as the GUI starts it, K=2 colour modes,
# one second restored; see engine/service/selftest.py)
selftest: venv
	$(BIN)/panchro self-test

# --- the desktop bundle (docs/packaging.md); separate from `make test`: it takes minutes ---
PKG_SITE := build/package/site
BUNDLE_NAME = $(shell $(BIN)/python packaging/bundle.py name 2>/dev/null)
BUNDLE = dist/$(BUNDLE_NAME)
# Without a venv, or before `make package`, there is no bundle: say so, not `dist//Panchro`.
define need_bundle
	@test -n "$(BUNDLE_NAME)" && test -x "$(BUNDLE)/Panchro" || \
		{ echo "no bundle at $(BUNDLE): run make package first"; exit 2; }
endef

# dist/Panchro-<version>-linux-x86_64/: PyInstaller (pinned in pyproject's `package` extra)
# builds it from panchro installed, not editable, into $(PKG_SITE); then its size and
# start-up times are printed.
package: venv
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev,package]'
	rm -rf $(PKG_SITE) build/lib
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation \
		--target $(PKG_SITE) .
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/panchro.spec
	$(BIN)/python packaging/measure.py $(BUNDLE)

# The bundle's own self-test, headless (what CI runs after `make package`).
selftest-bundle:
	$(need_bundle)
	QT_QPA_PLATFORM=offscreen $(BUNDLE)/Panchro --self-test

# The download: dist/Panchro-<version>-linux-x86_64.tar.gz.
package-archive:
	$(need_bundle)
	tar -C dist -czf $(BUNDLE).tar.gz $(notdir $(BUNDLE))
	@du -h $(BUNDLE).tar.gz

# --- the GPU kit (README "GPU kit"; engine/train/kit.py, engine/bench/kit.py) ---
KIT ?= kit
# The shared training data (research-only: never committed), beside the checkout here.
DATA ?= ../shared/data
# The python that runs the kit: this checkout's venv where there is one (it has torch), else
# the machine's python3 (the GPU machine has no venv, its image has torch).
GPU_PYTHON ?= $(if $(wildcard $(BIN)/python),$(BIN)/python,python3)
# The folder of links through which that python reaches panchro: one per checkout (two
# checkouts sharing one would swap each other's code mid-run).
KIT_PATH ?= $(CURDIR)/build/kit-path
SMOKE_KIT ?= build/kit-smoke

# Here: the shared training data and the wheels the GPU machine may lack, packed once into
# $(KIT)/ (ignored: research-only data), sized so the whole transfer stays under 64 MiB.
# KIT_PACK_ARGS="--plan continue|refiner|full [--thumbs-start K]": the pack for that plan.
gpu-kit-pack: venv
	$(BIN)/panchro train kit-pack --data $(DATA) --kit $(KIT) $(KIT_PACK_ARGS)

# There (no venv, no network): its python3, with panchro reached through a folder of links,
# trains a plan's models within a budget (9 minutes unless --budget) and benches them into
# $(OUT). KIT_ARGS: --plan full|continue|refiner, --only MODEL, --no-bench, --budget S;
# --smoke: tiny; --check: no training, the GPU tests and the shipped models' benches. A pack
# that cannot serve the plan is refused before training starts.
define run_kit
	rm -rf $(KIT_PATH)/panchro && mkdir -p $(KIT_PATH)/panchro
	ln -s $(CURDIR)/engine $(KIT_PATH)/panchro/engine
	ln -s $(CURDIR)/resources $(KIT_PATH)/panchro/resources
	PYTHONPATH=$(KIT_PATH)$${PYTHONPATH:+:$$PYTHONPATH} PYTHONUNBUFFERED=1 $(GPU_PYTHON) -m panchro.engine train kit \
		--out $(OUT) --kit $(1) $(2)
endef

gpu-kit:
	@test -n "$(OUT)" || { echo "make gpu-kit OUT=DIR (the folder the results go to)"; exit 2; }
	$(call run_kit,$(KIT),$(KIT_ARGS))

# The kit's whole path, tiny, on any machine with $(DATA): a pack of a few pictures of its
# own in $(SMOKE_KIT) (made once, in seconds; kit/ is left alone), then `gpu-kit --smoke`.
gpu-kit-smoke: venv
	@test -n "$(OUT)" || { echo "make gpu-kit-smoke OUT=DIR (the folder the results go to)"; exit 2; }
	test -f $(SMOKE_KIT)/manifest.json || \
		$(BIN)/panchro train kit-pack --smoke --data $(DATA) --kit $(SMOKE_KIT)
	$(call run_kit,$(SMOKE_KIT),--smoke $(KIT_ARGS))

clean:
	rm -rf $(VENV) build dist out *.egg-info
