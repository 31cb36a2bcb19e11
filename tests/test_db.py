"""The engine factory: DATABASE_URL, a SQLite file in the data directory, never inside a read-only one."""

from __future__ import annotations

import os
import stat

from data_model.db import database_url, state_dir


def test_database_url_prefers_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/db")
    assert database_url(tmp_path) == "postgresql+psycopg://x@127.0.0.1/db"


def test_default_is_sqlite_in_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL")
    assert database_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'workbench.sqlite'}"


def test_read_only_data_directory_keeps_state_elsewhere(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL")
    data = tmp_path / "arkiv"
    data.mkdir()
    data.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        target = state_dir(data)
        assert data.resolve() not in target.parents and target != data.resolve()
        assert str(target).startswith(os.environ["FFB_WORKBENCH_HOME"])
        assert database_url(data).endswith("/workbench.sqlite") and "arkiv-" in database_url(data)
        assert list(data.iterdir()) == []
    finally:
        data.chmod(0o755)
