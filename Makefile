# Two commands a person needs: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV ?= .venv
# The CPU build that lies on these machines' disks; a GPU user overrides it, e.g.
#   make run TORCH_SPEC="torch==2.11.0 --index-url https://download.pytorch.org/whl/cu128"
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
SAMPLE := resources/samples/bbb_bw.mp4
OUT_DIR ?= out

.PHONY: run test lint venv clean bench sample-film

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check $(TORCH_SPEC)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

# The app on the bundled sample film: the window when there is a screen,
# otherwise the same restoration headless through the CLI.
run: venv
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(BIN)/panchro-gui $(SAMPLE); \
	else \
		echo "No display: restoring the sample film headless."; \
		mkdir -p $(OUT_DIR); \
		$(BIN)/panchro restore $(SAMPLE) $(OUT_DIR)/bbb_restored.mp4 --overwrite; \
	fi

test: venv lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: venv
	$(BIN)/panchro bench io

clean:
	rm -rf $(VENV) build dist out *.egg-info
