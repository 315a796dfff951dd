"""Schema only from migrations, on both engines, and the models agree with them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from supervision.extensions import db
from supervision.models.audit import AuditChainHead


def test_migrations_create_every_table_the_models_declare(app):
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_migrations_seed_the_audit_chain_head(app):
    head = db.session.scalar(select(AuditChainHead))
    assert head.id == 1 and head.seq == 0 and head.last_hash == "0" * 64
