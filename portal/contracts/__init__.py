"""Contracts (合同) with their payments received (回款), and orders (定单)."""
from flask import Blueprint

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from . import demo, timeline  # noqa: F401 - demo data; contracts, orders and payments on customer timelines

    register_nav("contracts.index", _l("Contracts"), {"rep", "director", "gm"}, order=32)
    register_nav("contracts.orders", _l("Orders"), {"rep", "director", "gm"}, order=32)


from . import views  # noqa: E402,F401
