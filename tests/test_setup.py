"""What a network needs to get running: demo data, safe settings."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command

from requests_app.models import Event, Neighbor, Offer, Request, Resource
from volunteers.models import Pod, Volunteer

ROOT = Path(__file__).resolve().parent.parent


def counts():
    return [
        model.objects.count()
        for model in (Pod, User, Volunteer, Neighbor, Request, Event, Offer, Resource)
    ]


def test_demo_data_loads_once_however_often_it_runs(db):
    call_command("load_demo_data", stdout=StringIO())
    first = counts()
    call_command("load_demo_data", stdout=StringIO())
    assert counts() == first
    assert first[0] == 3
    assert set(User.objects.values_list("username", flat=True)) == {
        "coordinator",
        "pointperson",
        "volunteer1",
        "volunteer2",
    }
    assert User.objects.get(username="coordinator").groups.filter(name="Coordinator").exists()
    assert set(Request.objects.values_list("status", flat=True)) >= {"new", "open", "claimed"}


def run_django(env):
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "waltham_aid.settings", **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_with_the_development_secret_key():
    result = run_django({"DEBUG": "0"})
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = run_django({"DEBUG": "0", "SECRET_KEY": "a-long-random-value-from-the-environment"})
    assert result.returncode == 0, result.stderr
