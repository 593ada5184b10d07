"""URL arguments for the route walk: people records that belong to team A."""
from portal.core.db import db
from portal.people.models import TransferRequest

# pytest puts tests/ on sys.path, so this module is importable by name from conftest.


def _transfer(world):
    req = TransferRequest(user_id=world.rep_a.id, from_team_id=world.team_a.id, to_team_id=world.team_b.id,
                          requested_by_id=world.director_a.id, reason="closer to home")
    db.session.add(req)
    db.session.commit()
    return req.id


FACTORIES = {
    "user_id": lambda world: world.rep_a.id,
    "team_id": lambda world: world.team_a.id,
    "req_id": _transfer,
}
