"""URL arguments for the route walk: customer-log records owned by world.rep_a in team A."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from portal.core.db import db
from portal.customers.models import (
    Activity,
    Contact,
    Customer,
    MarketInfo,
    Opportunity,
    OpportunityStage,
    ResourceRequest,
)

# pytest puts tests/ on sys.path, so this module is importable by name from conftest.


def _customer(world):
    found = db.session.query(Customer).filter_by(name="样例客户（Walk）").one_or_none()
    if found:
        return found
    c = Customer(name="样例客户（Walk）", owner_id=world.rep_a.id, team_id=world.team_a.id, status="active",
                 created_by_id=world.rep_a.id, activated_at=datetime.now(UTC) - timedelta(days=30))
    db.session.add(c)
    db.session.commit()
    return c


def _contact(world):
    c = Contact(customer_id=_customer(world).id, name="张伟")
    db.session.add(c)
    db.session.commit()
    return c.id


def _activity(world):
    c = _customer(world)
    a = Activity(kind="visit", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                 occurred_at=datetime.now(UTC) - timedelta(days=1), summary="拜访")
    db.session.add(a)
    db.session.commit()
    return a.id


def _opportunity(world):
    c = _customer(world)
    stage = OpportunityStage(name="Walk stage", probability=20)
    db.session.add(stage)
    db.session.flush()
    o = Opportunity(title="Walk", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                    stage_id=stage.id, amount=Decimal("1000.00"), probability=20)
    db.session.add(o)
    db.session.commit()
    return o.id


def _request(world):
    c = _customer(world)
    now = datetime.now(UTC)
    r = ResourceRequest(customer_id=c.id, kind="samples", description="样品", asked_at=now, due_at=now + timedelta(1),
                        assignee_id=world.rep_a.id, team_id=world.team_a.id)
    db.session.add(r)
    db.session.commit()
    return r.id


def _market(world):
    m = MarketInfo(kind="trend", title="Walk", body="text", owner_id=world.rep_a.id, team_id=world.team_a.id)
    db.session.add(m)
    db.session.commit()
    return m.id


def _keep_request(world):
    from datetime import date

    from portal.customers.models import KeepRequest

    c = _customer(world)
    r = KeepRequest(customer_id=c.id, team_id=world.team_a.id, requester_id=world.rep_a.id, reason="Walk",
                    until=date.today() + timedelta(days=10))
    db.session.add(r)
    db.session.commit()
    return r.id


FACTORIES = {
    "customer_id": lambda world: _customer(world).id,
    "contact_id": _contact,
    "activity_id": _activity,
    "opportunity_id": _opportunity,
    "resource_request_id": _request,
    "market_info_id": _market,
    "keep_request_id": _keep_request,
    "list_kind": lambda world: "stages",
    "list_item_id": lambda world: 1,
}


# Helpers shared by the customer-log tests -------------------------------------------------------

def customer(owner=None, team=None, name=None, **kw):
    """A customer owned by ``owner`` (None: in ``team``'s pool), committed."""
    global _n
    _n += 1
    c = Customer(name=name or f"测试客户{_n}有限公司", owner_id=owner.id if owner else None,
                 team_id=(team or owner.team).id if (team or owner) else None,
                 created_by_id=owner.id if owner else None, **kw)
    db.session.add(c)
    db.session.commit()
    return c


def stage(name="Stage", probability=30, team=None):
    s = OpportunityStage(name=name, probability=probability, team_id=team.id if team else None)
    db.session.add(s)
    db.session.commit()
    return s


_n = 0
