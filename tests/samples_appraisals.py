"""URL arguments for the route walk: an appraisal cycle of team A with rep_a's sheet."""
from datetime import date

from portal.core.db import db
from portal.core.periods import Period


def _cycle(world):
    from flask import has_request_context

    from portal.appraisals import services

    if not hasattr(world, "_appraisal_cycle"):
        assert not has_request_context() or True
        cycle = services.open_cycle(world.director_a, world.team_a.id, Period.containing("month", date(2026, 9, 1)))
        db.session.commit()
        world._appraisal_cycle = cycle
    return world._appraisal_cycle


def _appraisal(world):
    return next(a.id for a in _cycle(world).appraisals if a.rep_id == world.rep_a.id)


def _template(world):
    from portal.appraisals import services

    tpl = services.default_template()
    db.session.commit()
    return tpl.id


FACTORIES = {
    "cycle_id": lambda world: _cycle(world).id,
    "appraisal_id": _appraisal,
    "template_id": _template,
    "metric": lambda world: "calls",
}
