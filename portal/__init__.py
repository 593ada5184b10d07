"""The sales portal: application factory."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from . import config as cfg

# Feature packages register themselves: every package under portal/ that exposes a blueprint ``bp``
# is mounted, and its ``init_app(app)`` (panels, nav entries, CLI commands, demo data) is called.
# Adding a feature therefore touches no shared file.
NOT_FEATURES = {"core", "authz", "migrations", "templates", "static", "translations"}


def feature_modules() -> list:
    import importlib
    import pkgutil

    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.ispkg and info.name not in NOT_FEATURES:
            module = importlib.import_module(f"{__name__}.{info.name}")
            if hasattr(module, "bp"):
                modules.append(module)
    return modules


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(cfg.Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PORTAL")
    else:
        app.config.update(test_config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", cfg.database_url(app.instance_path))
    if not app.config.get("SQLALCHEMY_ENGINE_OPTIONS"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = cfg.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = cfg.instance_secret(app.instance_path)
    cfg.check_secret(app)

    from . import bench

    bench.prepare_config(app)  # benchmark support: off (and free) unless configured
    register_extensions(app)
    bench.init_app(app)
    register_features(app)
    register_hooks(app)
    register_commands(app)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def register_extensions(app: Flask) -> None:
    from . import i18n
    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(i18n.translation_directories(app))
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.install_domain(app, babel)
    login_manager.init_app(app)


def register_features(app: Flask) -> None:
    for module in feature_modules():
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)


def register_hooks(app: Flask) -> None:
    from . import errors, i18n, security, templating, transactions

    security.init_app(app)
    transactions.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
