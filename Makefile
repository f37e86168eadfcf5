# Waltham Aid. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PO_FILES = $(wildcard locale/*/LC_MESSAGES/django.po waltham_aid/django_locale/*/LC_MESSAGES/django.po)
MAKEMESSAGES_LANGS := -l es -l pt_BR -l ht -l zh_Hans -l ar

.PHONY: run test install messages makemessages lint clean

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

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
	find locale waltham_aid/django_locale -name '*.mo' -delete
