# Waltham Aid. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PO_FILES = $(wildcard locale/*/LC_MESSAGES/django.po waltham_aid/django_locale/*/LC_MESSAGES/django.po waltham_aid/django_locale/*/LC_MESSAGES/djangojs.po)
MAKEMESSAGES_LANGS := -l es -l pt_BR -l ht -l zh_Hans -l ar

.PHONY: run test install messages makemessages lint clean serve bench

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $@

install: $(STAMP)

# Check every catalog (msgfmt --check catches a broken Plural-Forms or placeholder),
# then compile it. /ht/ answers 404 until locale/ht/.../django.mo exists.
messages:
	@.ci/system-deps gettext
	@for po in $(PO_FILES); do \
		msgfmt --check --statistics -o "$${po%.po}.mo" "$$po" || exit 1; \
	done

# After changing strings: refresh the catalogs, then translate every new entry in all five.
makemessages: install
	DEBUG=1 $(PY) manage.py makemessages $(MAKEMESSAGES_LANGS) --no-obsolete \
		--ignore=.venv --ignore=tests --ignore=staticfiles --add-location=file

run: install messages
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py load_demo_data
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install lint messages
	@.ci/system-deps postgresql chromium cjk-font
	@.ci/npm-deps
	.ci/with-postgres $(MAKE) --no-print-directory _test-on-postgres

_test-on-postgres:
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m pytest -q

# Production: gunicorn (gunicorn.conf.py) on PostgreSQL, DEBUG off, migrations first,
# hashed and compressed static files. See "Deploy" in the README. HTTPS=0 only to try it
# on your own machine over plain http://127.0.0.1:8000.
serve: install messages
	@missing=""; \
	for name in SECRET_KEY DATABASE_URL ALLOWED_HOSTS; do \
		[ -n "$${!name}" ] || missing="$$missing $$name"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make serve: set$$missing in the environment (see Deploy in README.md):" >&2; \
		echo "  SECRET_KEY     a long random value: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'" >&2; \
		echo "  DATABASE_URL   postgres://USER:PASSWORD@HOST/DBNAME" >&2; \
		echo "  ALLOWED_HOSTS  the site's host name, e.g. aid.example.org" >&2; \
		exit 1; \
	fi; \
	case "$$DATABASE_URL" in \
		postgres://*|postgresql://*) ;; \
		*) echo "make serve: DATABASE_URL must be a PostgreSQL URL (postgres://...)" >&2; exit 1 ;; \
	esac
	DEBUG=0 $(PY) manage.py migrate --no-input
	DEBUG=0 $(PY) manage.py collectstatic --no-input
	DEBUG=0 exec $(VENV)/bin/gunicorn -c gunicorn.conf.py

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(VENV)/bin/pip install --quiet -e ".[test,bench]"
	touch $@

# Seed a throwaway PostgreSQL at network scale and measure: pages, deep pages, wrk,
# Lighthouse, a locust crisis load. Prints ratios; not a test. BENCH_SCALE=0.1 for a quick
# run. See "Benchmarks" in the README; everything lands in bench/results.json.
bench: $(BENCH_STAMP) messages
	@.ci/system-deps postgresql wrk chromium npm
	.ci/with-postgres $(PY) -m bench

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
	find locale waltham_aid/django_locale -name '*.mo' -delete
