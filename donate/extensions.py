"""Extensions, created unbound here and bound to the app in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

#: Named constraints, so that migrations can alter them (SQLite rebuilds tables to do so).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Model)
migrate = Migrate()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
mail = Mail()
login_manager = LoginManager()


def insert_for(dialect_name: str, target):
    """INSERT for the database in use, with its ON CONFLICT clauses (both have them)."""
    return {"postgresql": postgresql, "sqlite": sqlite}[dialect_name].insert(target)


def use_real_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, begin transactions (SQLAlchemy's recipe).

    The sqlite3 module begins a transaction only before a write, so a SAVEPOINT taken first
    (begin_nested) opened a transaction that its RELEASE then committed for real, out of
    reach of the caller's rollback. With this, savepoints nest inside one transaction.
    WAL lets readers carry on while one transaction writes; concurrent writers wait for
    each other (busy_timeout), and the rare loser that read a snapshot too old to write on
    gets an error, answered 503 so that the provider retries. PostgreSQL is the database
    for many concurrent writers.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def no_implicit_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA busy_timeout=10000")

    @event.listens_for(engine, "begin")
    def begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")
