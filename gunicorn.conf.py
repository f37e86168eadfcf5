"""Gunicorn for Waltham Aid (make serve, the systemd unit in the README, make bench).

Sync workers: every page is a short, database-bound request, and a worker per request
keeps one PostgreSQL connection each. Put a proxy (nginx) in front for TLS, gzip and slow
clients. Environment: PORT or GUNICORN_BIND, WEB_CONCURRENCY for the number of workers.
"""

import multiprocessing
import os

wsgi_app = "waltham_aid.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

# 2 x cores + 1, the usual rule for sync workers; capped, because each worker holds a
# database connection and PostgreSQL allows 100 by default (leave room for a second app
# machine, cron jobs and psql).
MAX_WORKERS = 12
workers = int(
    os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, MAX_WORKERS))
)

# Import the app once in the master: a broken setting fails at start, not per worker.
preload_app = True
timeout = 30
graceful_timeout = 20
# Recycle workers now and then, so a slow leak never grows for weeks.
max_requests = 2000
max_requests_jitter = 200

# No runtime control socket (gunicorn 27's gunicornc): its default path is shared by every
# gunicorn on the machine, and systemd already starts, stops and reloads this one.
control_socket_disable = True

# Errors to stderr (the journal under systemd); the proxy in front keeps the access log.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def when_ready(server):
    """Before the workers fork from this process: catalogs, URL patterns and templates
    made once, so that no worker's first answers are slow (waltham_aid/warm.py)."""
    if server.cfg.preload_app:
        from waltham_aid.warm import warm_up

        warm_up()


def post_worker_init(worker):
    """In each worker, after the fork and before its first request: its own database
    connection, and what it keeps in memory (public pages, drawn forms) made now, while
    the other workers answer (waltham_aid/warm.py)."""
    from waltham_aid.warm import warm_worker

    warm_worker()
