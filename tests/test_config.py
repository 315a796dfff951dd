from __future__ import annotations

import pytest

from supervision import create_app
from supervision.config import normalise_database_url


def test_missing_secret_key_in_production_is_a_clear_startup_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPERVISION_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('SECRET_KEY = "from-file"\nOFFICE_NAME = "文件里的机关"\n')
    monkeypatch.setenv("SUPERVISION_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("AUDIT_KEY", "audit-from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h:5432/d")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["OFFICE_NAME"] == "文件里的机关"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h:5432/d"


def test_sqlite_file_lives_in_the_instance_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPERVISION_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("AUDIT_KEY", "a")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/supervision.sqlite3"


def test_database_url_spellings_are_normalised_to_psycopg():
    assert normalise_database_url("postgresql://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_maintenance_commands_run_without_a_secret_key_but_the_server_does_not(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPERVISION_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    url = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"}
    monkeypatch.setattr("sys.argv", ["flask", "db", "upgrade"])
    assert len(create_app(url).config["SECRET_KEY"]) == 64
    monkeypatch.setattr("sys.argv", ["flask", "run", "--port", "5000"])
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(url)
