"""The donation service: create_app() builds it from a short list of register steps."""

import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, config_for_environment

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    """Build the app from a Config class (the environment's by default) plus overrides."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"),
                template_folder=str(PROJECT_ROOT / "templates"))
    configure(app, config or config_for_environment(), overrides)
    trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    serve_the_widget_fast(app)
    return app


def configure(app: Flask, config: type[Config], overrides: dict) -> None:
    app.config.from_object(config)
    app.config.update(overrides)
    problems = config.problems(app.config)
    if problems:
        raise RuntimeError("Refusing to start: " + "; ".join(problems))
    Path(app.instance_path).mkdir(exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path)}/donate.db"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret_key(Path(app.instance_path))


def _development_secret_key(instance: Path) -> str:
    """A random key kept in instance/ so that local sessions survive restarts."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_FIX_HOPS proxies, take the reader's address and scheme from their
    X-Forwarded-For/-Proto headers (rate limits key on the address; checkout links need
    https). Never by default: anyone could send those headers."""
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def serve_the_widget_fast(app: Flask) -> None:
    """GET /widget, most of our traffic, answered from a recording before Flask's pipeline."""
    from donate.widget.fast_lane import WidgetFastLane

    app.wsgi_app = WidgetFastLane(app, app.wsgi_app)


def register_extensions(app: Flask) -> None:
    from donate import abuse, errors, i18n, logs, security, sessions, static_assets
    from donate.extensions import (
        csrf,
        db,
        limiter,
        login_manager,
        mail,
        migrate,
        use_real_sqlite_transactions,
    )
    from donate.payments import registry
    from donate.widget import settings

    logs.init_app(app)
    db.init_app(app)
    with app.app_context():
        use_real_sqlite_transactions(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    i18n.init_app(app)
    settings.init_app(app)
    registry.init_app(app)
    security.init_app(app)
    sessions.init_app(app)
    static_assets.init_app(app)
    errors.init_app(app)
    abuse.init_app(app)


def register_blueprints(app: Flask) -> None:
    from donate import health
    from donate.api import openapi
    from donate.donors import account  # noqa: F401  (the signed-in pages, on donors.bp)
    from donate.donors import routes as donors
    from donate.newsletter import routes as newsletter
    from donate.outbox import mailbox
    from donate.payments import paypal_return, sandbox_page, webhooks
    from donate.staff import bp as staff
    from donate.widget import routes as widget

    for blueprint in (health.bp, widget.bp, webhooks.bp, sandbox_page.bp, paypal_return.bp,
                      donors.bp, newsletter.bp, staff, openapi.bp):
        app.register_blueprint(blueprint)
    if app.config["DONATE_ENV"] != "production":
        app.register_blueprint(mailbox.bp)


def register_cli(app: Flask) -> None:
    from donate import cli
    from donate.outbox.cli import outbox_cli
    from donate.staff.cli import demo_cli, staff_cli

    cli.init_app(app)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(demo_cli)
