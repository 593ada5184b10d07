"""Home-page panels (a rep's training, managers' overdue assignments) and the profile's training record."""
from flask import url_for
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


_ANY_ID = 987654321  # a stand-in id, replaced by each completion's own


def _record(viewer, person):
    if person.role != "rep" or not services.can_see_person_training(viewer, person):
        return None
    # Labels resolved and the certificate URL built once, not at each of a veteran's dozens of rows
    # (a lazy string translates again wherever it is printed; the URLs differ only in the id).
    certificate = url_for("training.certificate", completion_id=_ANY_ID).replace(str(_ANY_ID), "%d")
    return {**queries.person_record(person), "statuses": {k: str(v) for k, v in STATUS_LABELS.items()},
            "certificate_url": certificate}


register_panel(Panel("training.mine", _l("My training"), frozenset({"rep"}), "training/_panel_mine.html",
                     _my_training, order=40, width=6))
register_panel(Panel("training.overdue", _l("Overdue training"), frozenset({"director", "gm"}),
                     "training/_panel_overdue.html", _overdue, order=45, width=6))
register_profile_section(ProfileSection("training.record", _l("Training record"), "training/_profile.html",
                                        _record, order=50))
