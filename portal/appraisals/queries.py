"""Read-side appraisal queries for the sheet and the cycle summary: plain rows, statements built once.

The sheet page is opened far more often than it is saved. Loading it as ORM objects (the sheet, its
cycle, team, rep and a dozen items, with the loader options and the statements rebuilt per request)
cost more than rendering it; here it is two prebuilt statements of the columns the page shows. The
pages that change a sheet keep loading the ORM objects (``services.load_appraisal``) and show them
through :func:`sheet_of`, so the template sees one shape either way.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import aliased

from ..core.db import db
from ..people.models import Team, User
from .models import Appraisal, AppraisalCycle, AppraisalItem

# The item columns the sheet uses, in the order SheetItem takes them.
ITEM_COLUMNS = ("id", "position", "metric", "name_zh", "name_en", "weight", "rule", "target", "floor", "computed",
                "note", "adjusted", "adjust_reason", "judged", "remark", "self_score", "score")


class SheetItem:
    """One item of the sheet as the page shows it: the item's columns and, set by the view, what the page
    works out once per item (its name in the reader's language, links, the values of its inputs)."""

    __slots__ = (*ITEM_COLUMNS, "actual", "name", "evidence", "weighted", "note_text", "inputs")

    def __init__(self, values):
        for key, value in zip(ITEM_COLUMNS, values, strict=True):
            setattr(self, key, value)
        # the figure that is scored: the director's adjustment when there is one (AppraisalItem.actual)
        self.actual = self.adjusted if self.adjusted is not None else self.computed


class SheetCycle(NamedTuple):
    id: int
    team_id: int
    period_kind: str
    period_key: str
    start: date
    end: date
    bands: list
    team_name: str


class Sheet(NamedTuple):
    """An appraisal with what its page shows of the cycle and the people (see services.load_appraisal)."""

    id: int
    rep_id: int
    team_id: int
    state: str
    presence: Decimal
    self_assessment: str | None
    comment: str | None
    total: Decimal | None
    grade: str | None
    finalised_at: datetime | None
    acknowledged_at: datetime | None
    disagreement: str | None
    version: int
    rep_name: str
    finalised_by_name: str | None
    cycle: SheetCycle
    items: list[SheetItem]


@cache
def _sheet_statements():
    """Built once: building these and walking them for their cache key cost more than running them."""
    finaliser = aliased(User)
    head = (select(Appraisal.id, Appraisal.rep_id, Appraisal.team_id, Appraisal.state, Appraisal.presence,
                   Appraisal.self_assessment, Appraisal.comment, Appraisal.total, Appraisal.grade,
                   Appraisal.finalised_at, Appraisal.acknowledged_at, Appraisal.disagreement, Appraisal.version,
                   User.display_name, finaliser.display_name,
                   AppraisalCycle.id, AppraisalCycle.team_id, AppraisalCycle.period_kind, AppraisalCycle.period_key,
                   AppraisalCycle.start, AppraisalCycle.end, AppraisalCycle.bands, Team.name)
            .join(AppraisalCycle, AppraisalCycle.id == Appraisal.cycle_id)
            .join(Team, Team.id == AppraisalCycle.team_id)
            .join(User, User.id == Appraisal.rep_id)
            # the finaliser's name goes with the finalising time (a reopened sheet keeps the id, not the time)
            .outerjoin(finaliser, and_(finaliser.id == Appraisal.finalised_by_id, Appraisal.finalised_at.is_not(None)))
            .where(Appraisal.id == bindparam("appraisal_id")))
    items = (select(*(getattr(AppraisalItem, c) for c in ITEM_COLUMNS))
             .where(AppraisalItem.appraisal_id == bindparam("appraisal_id"))
             .order_by(AppraisalItem.position, AppraisalItem.id))
    return head, items


def load_sheet(appraisal_id: int) -> Sheet | None:
    """The sheet page's appraisal as plain rows (two queries), or None. Whether the reader may see it is
    the caller's to check (services.can_view_appraisal), as for services.load_appraisal."""
    head_stmt, items_stmt = _sheet_statements()
    params = {"appraisal_id": appraisal_id}
    head = db.session.execute(head_stmt, params).first()
    if head is None:
        return None
    items = [SheetItem(row) for row in db.session.execute(items_stmt, params)]
    own = len(Sheet._fields) - 2  # the head row: the sheet's own fields (all but cycle and items), the cycle's
    return Sheet(*head[:own], SheetCycle(*head[own:]), items)


def sheet_of(appraisal: Appraisal) -> Sheet:
    """An ORM appraisal (as a page that saves it holds it, unsaved input and all) in the sheet's shape."""
    cycle = appraisal.cycle
    # as load_sheet: the finaliser's name with the finalising time only
    finaliser = appraisal.finalised_by.display_name if appraisal.finalised_at and appraisal.finalised_by else None
    return Sheet(appraisal.id, appraisal.rep_id, appraisal.team_id, appraisal.state, appraisal.presence,
                 appraisal.self_assessment, appraisal.comment, appraisal.total, appraisal.grade,
                 appraisal.finalised_at, appraisal.acknowledged_at, appraisal.disagreement, appraisal.version,
                 appraisal.rep.display_name, finaliser,
                 SheetCycle(cycle.id, cycle.team_id, cycle.period_kind, cycle.period_key, cycle.start, cycle.end,
                            cycle.bands, cycle.team.name),
                 [SheetItem([getattr(i, c) for c in ITEM_COLUMNS]) for i in appraisal.items])


# The cycle summary ------------------------------------------------------------------------------------------


class Ranked(NamedTuple):
    """One rep's line of the cycle summary."""

    id: int
    rep_name: str
    total: Decimal | None
    grade: str | None
    state: str
    items: list  # (metric, name_zh, name_en, score) in sheet order


@cache
def _cycle_statements():
    # The sheets with their reps' names, then every item's score (and name, for the header) as plain rows:
    # a dozen items for each of a team's reps. Two statements: joined into one, each item row would carry
    # its sheet's columns too, which cost more to read than the second query.
    cycle_id = bindparam("cycle_id")
    sheets = (select(Appraisal.id, User.display_name, Appraisal.total, Appraisal.grade, Appraisal.state)
              .join(User, User.id == Appraisal.rep_id).where(Appraisal.cycle_id == cycle_id).order_by(Appraisal.id))
    items = (select(AppraisalItem.appraisal_id, AppraisalItem.metric, AppraisalItem.name_zh, AppraisalItem.name_en,
                    AppraisalItem.score)
             .join(Appraisal, Appraisal.id == AppraisalItem.appraisal_id).where(Appraisal.cycle_id == cycle_id)
             .order_by(AppraisalItem.appraisal_id, AppraisalItem.position, AppraisalItem.id))
    return sheets, items


def ranked(cycle_id: int) -> list[Ranked]:
    """A cycle's sheets, best total first (sheets without a total last), then by the rep's name."""
    sheets_stmt, items_stmt = _cycle_statements()
    params = {"cycle_id": cycle_id}
    sheets = {row[0]: Ranked(*row, []) for row in db.session.execute(sheets_stmt, params)}
    for aid, *item in db.session.execute(items_stmt, params):
        sheets[aid].items.append(item)
    return sorted(sheets.values(), key=lambda a: (a.total is None, -(a.total or 0), a.rep_name))
