# Cổng Dịch vụ công — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
VENV ?= .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8

# A Python >= 3.12: $(PYTHON) if given, else python3.13/3.12 on PATH, else pyenv's.
PYTHON ?= $(shell for c in python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
	command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$c; break; }; done)

.PHONY: help run test lint security install messages lock chromium nginx signing-tools tls-cert demo bench clean

help:
	@echo "make run   - set up and serve the portal with demo data at http://127.0.0.1:$(PORT)"
	@echo "make test  - set up and run the whole test suite (lint first)"
	@echo "make lock  - re-lock dependencies after editing pyproject.toml"

$(VENV)/.installed: requirements.lock
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12+ is required: install python3.12 (e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12') or pass PYTHON=/path/to/python3.12"; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip sync --quiet --python $(PY) --require-hashes requirements.lock
	touch $@

install: $(VENV)/.installed

messages: install
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v 0; \
	else echo "msgfmt not found: using the committed .mo files"; fi

run: export DEBUG = true
run: export SITE_URL = http://127.0.0.1:$(PORT)
# Signed documents out of the box: `signing_dev_ca` makes a development CA and agency certificate
# (NOT TRUSTED) in var/signing/, used unless SIGNING_PROVIDER is set (environment or .env). No
# timestamp authority here: the signatures are PAdES B-B.
ifeq ($(or $(SIGNING_PROVIDER),$(shell grep -qs '^SIGNING_PROVIDER=.' .env && echo set)),)
run: export SIGNING_PROVIDER = pkcs12
run: export SIGNING_PKCS12_PATH = $(CURDIR)/var/signing/agency.p12
run: export SIGNING_PKCS12_PASSWORD = development-only
run: export SIGNING_TRUST_ROOTS = $(CURDIR)/var/signing/dev-root.pem
endif
run: install messages
	$(PY) manage.py signing_dev_ca
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py load_catalogue
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint --quiet
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(PY) manage.py check --fail-level WARNING

chromium:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdfinfo >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium for the browser tests and poppler-utils for the slip layout tests"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-dejavu-core poppler-utils) >/dev/null; \
	  else echo "chromium or poppler-utils is missing (apt-get install chromium chromium-driver poppler-utils): browser and slip layout tests will be skipped"; fi; \
	fi

# The signing tests: SoftHSM2 (a PKCS#11 token), zbarimg (QR codes on slips), LibreOffice (Word
# results converted to PDF). The test PKI itself (certomancer) runs inside pytest.
signing-tools:
	@if ! command -v softhsm2-util >/dev/null 2>&1 || ! command -v zbarimg >/dev/null 2>&1 || ! command -v soffice >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing SoftHSM2, zbar-tools and LibreOffice Writer for the signing tests"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends softhsm2 zbar-tools libreoffice-writer-nogui) >/dev/null; \
	  else echo "softhsm2, zbar-tools or libreoffice-writer-nogui is missing: those signing tests will be skipped"; fi; \
	fi

# The reverse-proxy tests run Debian's nginx with deploy/nginx/portal.conf.template.
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's nginx for the reverse-proxy tests"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light) >/dev/null; \
	  else echo "nginx is missing (apt-get install nginx-light): reverse-proxy tests will be skipped"; fi; \
	fi

# A self-signed certificate for docker-compose's proxy on this machine (browsers will warn).
# A real one (fullchain.pem and privkey.pem, e.g. from certbot) goes in the same folder.
TLS_DIR ?= deploy/nginx/tls
TLS_HOST ?= localhost
tls-cert:
	@if [ -e $(TLS_DIR)/fullchain.pem ]; then echo "$(TLS_DIR)/fullchain.pem exists: left alone"; exit 0; fi; \
	mkdir -p $(TLS_DIR) && openssl req -x509 -newkey rsa:2048 -nodes -days 365 \
	  -subj "/CN=$(TLS_HOST)" -addext "subjectAltName=DNS:$(TLS_HOST),DNS:localhost,IP:127.0.0.1" \
	  -keyout $(TLS_DIR)/privkey.pem -out $(TLS_DIR)/fullchain.pem 2>/dev/null \
	  && chmod 600 $(TLS_DIR)/privkey.pem && echo "Self-signed certificate for $(TLS_HOST) in $(TLS_DIR)/"

# Code and dependency checks (run by `make test`): bandit on our code, pip-audit on the lock.
# Accepted bandit findings: `# nosec BXXX # why` in place. Accepted vulnerabilities: add
# `--ignore-vuln ID` to PIP_AUDIT_IGNORE with a comment saying why.
PIP_AUDIT_IGNORE ?=
security: install
	$(VENV)/bin/bandit -q -r core accounts signing procedures dossiers payments payments_sandbox tracking portal -c pyproject.toml
	@out=$$($(VENV)/bin/pip-audit --strict --disable-pip --no-deps --progress-spinner off \
	  --timeout 10 -r requirements.lock $(PIP_AUDIT_IGNORE) 2>&1); rc=$$?; \
	echo "$$out" | grep -v -e "users are encouraged" -e "pip-compile"; \
	if [ $$rc -eq 0 ]; then exit 0; fi; \
	if echo "$$out" | grep -q "known vulnerabilit"; then exit 1; fi; \
	if echo "$$out" | grep -qiE "not found on PyPI|Connection|resolve|timed out|Max retries|HTTPError|SSLError"; then \
	  echo "WARNING: pip-audit could not read PyPI's vulnerability data: the dependencies were NOT audited."; \
	  exit 0; fi; \
	exit $$rc

test: install lint security messages chromium nginx signing-tools
	$(VENV)/bin/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lock:
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.12 -o requirements.lock

clean:
	rm -rf $(VENV) var/portal.sqlite3 var/media test-artifacts

# Load benchmark (benchmarks/README.md): PostgreSQL "bench" database and Redis db 13 on
# 127.0.0.1 must be running. BENCH_SCALE=0.01 for a quick smoke run; BENCH_ARGS for run.py.
BENCH_SCALE ?= 1.0
bench: install
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then echo "Installing wrk (load generator)"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk) >/dev/null; \
	  else echo "wrk is missing: apt-get install wrk"; exit 1; fi; }
	DJANGO_SETTINGS_MODULE=benchmarks.settings $(PY) benchmarks/generate.py --scale $(BENCH_SCALE)
	DJANGO_SETTINGS_MODULE=benchmarks.settings $(PY) benchmarks/run.py $(BENCH_ARGS)
