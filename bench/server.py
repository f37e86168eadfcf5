"""Gunicorn on loopback, configured by gunicorn.conf.py, for the load tests."""

import os
import runpy
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {Path(log_path).read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port} within {timeout} s")


def workers_configured(environment):
    """How many workers gunicorn.conf.py starts with this environment."""
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def wait_until_warm(process, log_path, workers, timeout=60):
    """Until every worker has warmed up (waltham_aid/warm.py logs it), as a load balancer
    waits for a new machine's health check before sending it visitors."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {Path(log_path).read_text()[-2000:]}")
        if Path(log_path).read_text().count("Worker warmed up in") >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn's {workers} workers did not warm up within {timeout} s")


def server_environment(database_url, **extra):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        **extra,
    }


@contextmanager
def gunicorn(database_url, *, log_dir, **extra_env):
    """Yield the base URL of a gunicorn serving the bench settings on a free port."""
    port = free_port()
    log_path = Path(log_dir) / f"gunicorn-{port}.log"
    environment = server_environment(database_url, **extra_env)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log_path)
        wait_until_warm(process, log_path, workers_configured(environment))
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
