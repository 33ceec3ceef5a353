# Resonote: `make run` starts the app, `make test` runs every test.  Both do all
# set-up on a fresh Debian machine: system packages (when run as root), a
# virtual environment in .venv, and every Python dependency from pyproject.toml.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

# Debian packages: PortAudio (playback/recording), PulseAudio + ALSA plugin (the
# virtual audio device the tests use), Qt's xcb/EGL runtime libraries, fonts,
# Xvfb (screenshots under a virtual display), espeak-ng + sox (test audio).
APT_PACKAGES := libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins \
	libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 \
	libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 \
	libxcb-image0 libdbus-1-3 libfontconfig1 fonts-dejavu-core xvfb xauth espeak-ng sox \
	desktop-file-utils

.PHONY: run test bench lint system-deps install clean package package-smoke

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing system packages:$$missing"; \
		apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	else \
		echo "Please install these system packages (as root):$$missing"; \
	fi

$(STAMP): pyproject.toml requirements-nodeps.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	@touch $(STAMP)

install: system-deps $(STAMP)

run: install
	$(VENV)/bin/resonote

test: install
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: install
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest tests/benchmarks -s -o python_files='bench_*.py' --timeout=3600

# The self-contained desktop app (dist/Resonote, .tar.gz, .deb), then a smoke test of the
# built bundle: 15-30 min and ~11 GB of disk, so not part of `make test` (docs/PACKAGING.md).
package: install
	packaging/build.sh
	packaging/smoke.sh

# Smoke-test an existing build only.
package-smoke:
	packaging/smoke.sh

lint: install
	$(VENV)/bin/ruff check app core tests

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts
