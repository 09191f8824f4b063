"""Alembic environment: runs migrations against the URL the caller configured."""

from alembic import context
from sqlalchemy import Engine
from sqlmodel import SQLModel

from backend import models  # noqa: F401  (registers the tables on the metadata)
from backend.db import make_engine

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by backend.db.migrate"
    engine: Engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
