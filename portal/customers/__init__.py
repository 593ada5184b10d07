"""Customer partnership log: customers and partners, contacts, visits and calls, opportunities,
resource requests, market information and lost customers."""
from flask import Blueprint

bp = Blueprint("customers", __name__, url_prefix="/customers")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from . import demo, panels  # noqa: F401 - registers panels and demo data

    register_nav("customers.index", _l("Customers"), {"rep", "director", "gm"}, order=20)
    register_nav("customers.pipeline", _l("Pipeline"), {"rep", "director", "gm"}, order=21)
    register_nav("customers.requests", _l("Customer requests"), {"rep", "director", "gm"}, order=22)
    register_nav("customers.market", _l("Market information"), {"rep", "director", "gm"}, order=23)
    register_nav("customers.pool_page", _l("Public pool"), {"rep", "director", "gm"}, order=24)

    from ..approvals.services import on_decided
    from . import pool, services

    on_decided("discount", services.discount_decided)
    pool.init_cli(app)


from . import pool_views, search, views  # noqa: E402,F401 - routes; search keeps its column current
