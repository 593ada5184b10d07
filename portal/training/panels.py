"""Home-page panels (a rep's training, managers' overdue assignments) and the profile's training record."""
from flask_babel import lazy_gettext as _l

from ..people.profile import ProfileSection, register_profile_section
from ..ui import Panel, register_panel
from . import queries, services
from .forms import STATUS_LABELS


def _my_training(user):
    rows = [r for r in queries.my_training(user) if r[1].status != "passed"]
    return {"rows": rows[:8], "statuses": STATUS_LABELS}


def _overdue(user):
    to_mark = queries.waiting_for_marking(user) if user.role == "director" else []
    late, total = queries.overdue_for(user, limit=10)
    return {"late": late, "total": total, "to_mark": to_mark}


def _record(viewer, person):
    if person.role != "rep" or not services.can_see_person_training(viewer, person):
        return None
    # the labels resolved once: a lazy string translates again at every row that prints it
    return {**queries.person_record(person), "statuses": {k: str(v) for k, v in STATUS_LABELS.items()}}


register_panel(Panel("training.mine", _l("My training"), frozenset({"rep"}), "training/_panel_mine.html",
                     _my_training, order=40, width=6))
register_panel(Panel("training.overdue", _l("Overdue training"), frozenset({"director", "gm"}),
                     "training/_panel_overdue.html", _overdue, order=45, width=6))
register_profile_section(ProfileSection("training.record", _l("Training record"), "training/_profile.html",
                                        _record, order=50))
