"""Fixtures: a fresh, migrated database per test on SQLite and (when configured) PostgreSQL.

SQLite: a migrated template file is copied for each test. PostgreSQL: a migrated template database
is cloned with CREATE DATABASE … TEMPLATE for each test, and dropped afterwards. Factories are
fixtures returning callables (``make_user(role=Role.INTAKE)``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from supervision import create_app
from supervision.auth import services as auth_services
from supervision.extensions import db
from supervision.models.org import Department, DepartmentKind, Role, User

# The factories of each area, as fixtures every test module can ask for by name.
pytest_plugins = ["matters_factories", "talks_factories", "rectification_factories", "clues_factories", "tasks_factories"]

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
ENGINES = ["sqlite", "postgresql"]
TEST_PASSWORD = "pass1234"
TEST_AUDIT_KEY = "test-audit-key"

# Tests need no slow password hashing; the production default (scrypt) is unchanged.
auth_services.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


def _base_config(url: str, tmp: Path) -> dict:
    return {"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
            "AUDIT_KEY": TEST_AUDIT_KEY, "AUDIT_KEY_ID": "t1",
            "RATELIMIT_ENABLED": False, "SERVER_NAME": None}


def _migrate(url: str, tmp: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(_base_config(url, tmp))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    _migrate(f"sqlite:///{path}", folder)
    return path


def _admin_engine() -> sa.Engine:
    return sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _with_database(url: str, name: str) -> str:
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory) -> str:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("TEST_POSTGRES_URL is not set in CI")
        pytest.skip("PostgreSQL not configured (set TEST_POSTGRES_URL)")
    name = f"supervision_tpl_{uuid.uuid4().hex[:8]}"
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    _migrate(_with_database(POSTGRES_URL, name), tmp_path_factory.mktemp("pg"))
    yield name
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite" and request.node.get_closest_marker("postgres_only"):
        pytest.skip("PostgreSQL only")
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"supervision_t_{uuid.uuid4().hex[:10]}"
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _with_database(POSTGRES_URL, name)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


class FormClient(FlaskClient):
    """A test client that puts a valid CSRF token into every form POST unless ``csrf=False``.

    The ``app`` fixture keeps an application context open for the whole test, and Flask reuses it
    for every request, so ``g`` would carry the logged-in user (flask-login caches it there) and the
    CSRF token from one request — and one client — into the next. Each request starts with a clean ``g``.
    """

    def open(self, *args, **kwargs):
        from flask import g, has_app_context

        if has_app_context():
            for name in list(vars(g)):
                delattr(g, name)
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", uuid.uuid4().hex)
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def post(self, *args, csrf: bool = True, **kwargs):
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)):
            kwargs["data"] = {"csrf_token": self.csrf_token(), **(data or {})}
        return super().post(*args, **kwargs)


@pytest.fixture
def app(database_url, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    os.environ["SUPERVISION_INSTANCE_PATH"] = str(instance)
    try:
        application = create_app(_base_config(database_url, tmp_path))
    finally:
        os.environ.pop("SUPERVISION_INSTANCE_PATH", None)
    application.test_client_class = FormClient
    with application.app_context():
        yield application
        db.session.remove()
        if os.environ.get("AUDIT_ROWS_CHECK"):
            _check_row_digests(application)
        db.engine.dispose()


def _check_row_digests(application) -> None:
    """AUDIT_ROWS_CHECK=1: after each test, every business row must match its last audit digest — finds
    application writes that bypass the digests (tests that tamper, or set up state with SQL, fail too)."""
    from supervision import audit_anchor
    from supervision.audit_keys import keyring

    with application.app_context():
        found = audit_anchor.verify(db.session, keyring(), Path(application.instance_path) / "none.log", rows=True)
        problems = [str(m) for m in found.rows.mismatches if "没有审计摘要" not in m.problem]
        db.session.remove()
    assert not problems and not found.walk.breaks, (problems[:5], found.walk.breaks[:3])


@pytest.fixture
def client(app) -> FormClient:
    return app.test_client()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def make_department(session):
    counter = iter(range(1, 10_000))

    def make(**overrides) -> Department:
        n = next(counter)
        values = {"code": f"T{n:03d}", "name": f"测试单位{n}", "kind": DepartmentKind.CITY, "active": True}
        values.update(overrides)
        department = Department(**values)
        session.add(department)
        session.commit()
        return department

    return make


@pytest.fixture
def make_user(session, make_department):
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.INTAKE, **overrides) -> User:
        n = next(counter)
        values = {"username": f"{role.value}{n}", "display_name": f"{role.label}{n}", "role": role,
                  "password_hash": auth_services.hash_password(overrides.pop("password", TEST_PASSWORD)),
                  "active": True}
        if role == Role.DEPT_HEAD and "department" not in overrides:
            values["department"] = make_department()
        values.update(overrides)
        user = User(**values)
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    def do_login(user: User, password: str = TEST_PASSWORD):
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.text
        return client

    return do_login


@pytest.fixture(scope="session")
def libreoffice():
    """The soffice that makes the PDF copies. Missing: skipped on a developer's machine, a failure in CI
    (CI=true installs it, so a missing one means the PDF copies went untested) — as a missing browser."""
    from supervision.paperwork.pdf import find_office

    office = find_office()
    if office is None:
        reason = "LibreOffice is not installed (apt-get install libreoffice-writer-nogui)"
        if os.environ.get("CI") or os.environ.get("SUPERVISION_REQUIRE_LIBREOFFICE"):
            pytest.fail(reason)
        pytest.skip(reason)
    return office

