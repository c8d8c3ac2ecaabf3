# make install | run | test — each creates .venv when missing and is quick when up to date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := src/yabot/locales
I18N_DOMAINS := bot admin
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(LOCALES)/*/LC_MESSAGES/*.po))

.PHONY: install run test lint bench bench-latency clean i18n-extract

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

# latency against offered rate, every target in one run (PostgreSQL: YABOT_BENCH_POSTGRES,
# default postgresql://postgres@127.0.0.1:5432/postgres)
LATENCY_RATES ?= 10,20,40,80,160
LATENCY_OUT ?= docs/results
bench-latency: bench
	$(BIN)/python benchmarks/load.py --target bare --rates $(LATENCY_RATES) --out $(LATENCY_OUT)/bare-embedded.json
	$(BIN)/python benchmarks/load.py --target naive --rates $(LATENCY_RATES) --out $(LATENCY_OUT)/naive-embedded.json
	$(BIN)/python benchmarks/load.py --rates $(LATENCY_RATES) --out $(LATENCY_OUT)/yabot-embedded.json
	$(BIN)/python benchmarks/load.py --backend pg-redis --rates $(LATENCY_RATES) --out $(LATENCY_OUT)/yabot-pg-redis.json
	$(BIN)/python benchmarks/load.py --backend pg-redis --processes 2 --rates $(LATENCY_RATES) --out $(LATENCY_OUT)/yabot-pg-redis-2.json
	$(BIN)/python benchmarks/charts.py latency $(LATENCY_OUT)/bare-embedded.json $(LATENCY_OUT)/naive-embedded.json $(LATENCY_OUT)/yabot-embedded.json $(LATENCY_OUT)/yabot-pg-redis.json $(LATENCY_OUT)/yabot-pg-redis-2.json --png docs/latency-vs-rate.png

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
