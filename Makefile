# make install | run | test — each creates .venv when missing and is quick when up to date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := src/yabot/locales
I18N_DOMAINS := bot admin
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(LOCALES)/*/LC_MESSAGES/*.po))

.PHONY: install run test lint bench clean i18n-extract

install: $(STAMP) $(MO_FILES)

$(STAMP): pyproject.toml setup.py requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python >= 3.11 is required (PYTHON=$(PYTHON))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c requirements.lock -e ".[dev]"
	@touch $(STAMP)

# the build hook (setup.py) compiles the catalogs; this recompiles a .po edited since
$(LOCALES)/%.mo: $(LOCALES)/%.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# refresh the catalogs from the code: new keys appear (empty) in every language's .po
i18n-extract: install
	@mkdir -p build/i18n
	@for domain in $(I18N_DOMAINS); do \
		$(BIN)/pybabel -q extract -F babel.cfg --sort-output --add-location=file \
			-o build/i18n/$$domain.pot src/yabot/$$domain && \
		$(BIN)/pybabel -q update -i build/i18n/$$domain.pot -d $(LOCALES) -D $$domain \
			--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date || exit 1; \
	done
	@$(MAKE) --no-print-directory install

run: install
	$(BIN)/yabot run

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c requirements.lock -e ".[dev,bench]"
	$(BIN)/python benchmarks/stores.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
