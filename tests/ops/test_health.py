"""/healthz: database reachable and a fresh worker heartbeat → 200; otherwise 503."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from notifications.management.commands import run_worker
from ops import health
from ops.heartbeat import beat
from ops.models import WorkerHeartbeat


def _heartbeat(age_seconds: int, worker_id: str = "web-1:1") -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"last_seen": timezone.now() - timedelta(seconds=age_seconds)},
    )


@pytest.mark.django_db
def test_healthy_with_a_fresh_heartbeat():
    _heartbeat(5)
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "database": "ok",
        "worker": {"last_heartbeat_age_seconds": 5, "ok": True},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_freshest_of_several_workers_counts():
    _heartbeat(900, "old:1")
    _heartbeat(2, "new:2")
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"] == {"last_heartbeat_age_seconds": 2, "ok": True}


@pytest.mark.django_db
def test_503_without_any_heartbeat():
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "worker": {"last_heartbeat_age_seconds": None, "ok": False},
    }


@pytest.mark.django_db
def test_503_with_a_stale_heartbeat():
    _heartbeat(181)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "worker": {"last_heartbeat_age_seconds": 181, "ok": False},
    }


@pytest.mark.django_db
def test_max_age_comes_from_the_setting(settings):
    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 30
    _heartbeat(40)
    assert Client().get("/healthz").status_code == 503
    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 60
    assert Client().get("/healthz").status_code == 200


@pytest.mark.django_db
def test_503_when_the_database_check_fails():
    """Simulated by patching the check function (ops.health.check_database)."""
    _heartbeat(5)
    with mock.patch.object(health, "check_database", return_value=False):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "error",
        "worker": {"last_heartbeat_age_seconds": None, "ok": False},
    }


@pytest.mark.django_db
def test_check_database_reports_a_failing_query():
    """The check itself: a cursor that raises (simulated) means "error", never a 500."""
    assert health.check_database() is True
    with mock.patch.object(health.connection, "cursor", side_effect=RuntimeError("db down")):
        assert health.check_database() is False


def test_healthz_needs_no_login_and_only_answers_get(db):
    _heartbeat(1)
    assert Client(enforce_csrf_checks=True).get("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


def test_env_variable_is_read_strictly(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_int

    monkeypatch.setenv("WORKER_HEARTBEAT_MAX_AGE_SECONDS", "soon")
    with pytest.raises(ImproperlyConfigured, match="WORKER_HEARTBEAT_MAX_AGE_SECONDS"):
        env_int("WORKER_HEARTBEAT_MAX_AGE_SECONDS", 180, minimum=1, maximum=86400)


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_beats_at_start_and_every_round():
    stop = threading.Event()
    rounds = []

    def one_round():
        rounds.append(1)
        if len(rounds) == 2:
            stop.set()
        return {}

    with (
        mock.patch.object(run_worker, "run_periodic_jobs", side_effect=one_round),
        mock.patch.object(run_worker, "beat", wraps=beat) as beats,
    ):
        run_worker.Command._jobs_loop(stop, 0.01)
    assert len(rounds) == 2
    assert beats.call_count == 3  # once at start, once per round
    assert WorkerHeartbeat.objects.count() == 1
    assert Client().get("/healthz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_failing_heartbeat_does_not_stop_the_worker_loop():
    stop = threading.Event()

    def one_round():
        stop.set()
        return {}

    with (
        mock.patch.object(run_worker, "run_periodic_jobs", side_effect=one_round) as jobs,
        mock.patch.object(run_worker, "beat", side_effect=RuntimeError("db down")),
    ):
        run_worker.Command._jobs_loop(stop, 0.01)
    assert jobs.call_count == 1
