"""Production server configuration (`cds_service.server`): sizing, shutdown, metrics directory,
and the warm-up each worker runs before it accepts calls."""

from __future__ import annotations

import pytest

from cds_service import server
from cds_service.settings import ConfigurationError, Settings


def test_workers_and_threads_come_from_cores_or_the_environment(monkeypatch):
    monkeypatch.delenv("PANNET_CDS_WORKERS", raising=False)
    monkeypatch.delenv("PANNET_CDS_THREADS", raising=False)
    options = server.server_options(Settings(), host="127.0.0.1", port=8080, workers=None)
    assert options["workers"] == server.default_workers()
    assert options["threads"] == server.DEFAULT_THREADS
    monkeypatch.setenv("PANNET_CDS_WORKERS", "3")
    monkeypatch.setenv("PANNET_CDS_THREADS", "4")
    options = server.server_options(Settings(), host="127.0.0.1", port=8080, workers=None)
    assert (options["workers"], options["threads"]) == (3, 4)
    # the command line wins over the environment
    assert server.server_options(Settings(), host="h", port=1, workers=5)["workers"] == 5


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_bad_sizing_is_refused_with_the_variable_named(monkeypatch, bad):
    monkeypatch.setenv("PANNET_CDS_WORKERS", bad)
    with pytest.raises(ConfigurationError, match="PANNET_CDS_WORKERS"):
        server.server_options(Settings(), host="127.0.0.1", port=8080, workers=None)


def test_graceful_shutdown_fits_inside_the_worker_timeout():
    options = server.server_options(Settings(), host="127.0.0.1", port=8080, workers=1)
    assert options["worker_class"] == "gthread"
    assert 0 < options["graceful_timeout"] <= options["timeout"]
    assert options["preload_app"] is False
    assert options["post_worker_init"] is server._post_worker_init


def test_metrics_directory_is_created_and_emptied_of_a_previous_run(monkeypatch, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old")
    (folder / "keep.txt").write_text("not ours")
    monkeypatch.setenv(server.MULTIPROC_ENV, str(folder))
    assert server.prepare_metrics_dir() == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]


def test_metrics_directory_is_made_when_unset(monkeypatch):
    monkeypatch.delenv(server.MULTIPROC_ENV, raising=False)
    path = server.prepare_metrics_dir()
    try:
        assert path.split("/")[-1].startswith("pannet-cds-metrics-")
    finally:
        import os
        import shutil

        shutil.rmtree(path)
        os.environ.pop(server.MULTIPROC_ENV, None)


def test_warm_up_scores_the_demo_patients_without_writing_anything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    server.warm_up()
    assert list(tmp_path.iterdir()) == []
