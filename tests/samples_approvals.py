"""Route-walk samples: an approval request by rep_a in team A, and team A's contract chain."""
from decimal import Decimal


def _approval(world):
    from portal.approvals import services
    from portal.core.db import db

    req = services.submit(world.rep_a, "expense", "demo", 1, world.team_a.id, Decimal("500.00"),
                          "Trade show travel", None)
    db.session.commit()
    return req.id


FACTORIES = {
    "approval_id": _approval,
    "chain_team_id": lambda world: world.team_a.id,
    "chain_kind": lambda world: "contract",
}
