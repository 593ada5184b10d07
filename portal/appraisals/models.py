"""Appraisals: templates of items, cycles (one team, one period), one appraisal per rep, its item rows.

An appraisal copies its items' definitions from the template when it is created, so editing a
template later never changes an appraisal already made (finalised or not).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import concurrency
from ..core.db import db, utcnow
from ..core.types import UTCDateTime

SCORE = Numeric(6, 2)
FIGURE = Numeric(16, 2)

DEFAULT_BANDS = [["A", "4.50"], ["B", "3.50"], ["C", "2.50"], ["D", "0"]]


class AppraisalTemplate(db.Model):
    __tablename__ = "appraisal_template"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)  # None: company-wide
    period_kind: Mapped[str | None] = mapped_column(String(10))  # None: any period kind
    # Grade bands: [[grade, minimum total on the 5-point scale], …] from best to worst.
    bands: Mapped[list] = mapped_column(JSON, default=lambda: [list(b) for b in DEFAULT_BANDS])
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[TemplateItem]] = relationship(
        back_populates="template", order_by="TemplateItem.position", cascade="all, delete-orphan")
    team = relationship("Team")


class TemplateItem(db.Model):
    __tablename__ = "appraisal_template_item"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("appraisal_template.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(40))  # what is measured: see scoring.METRICS, or "judged"
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    rule: Mapped[str] = mapped_column(String(20))  # linear, inverse, growth, judged, none
    target: Mapped[Decimal | None] = mapped_column(FIGURE)  # per month for counts; % for rates
    floor: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))  # where the linear rule gives 0

    template: Mapped[AppraisalTemplate] = relationship(back_populates="items")


class AppraisalCycle(db.Model):
    __tablename__ = "appraisal_cycle"
    __audited__ = True
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    period_kind: Mapped[str] = mapped_column(String(10))
    period_key: Mapped[str] = mapped_column(String(10))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)  # exclusive
    template_id: Mapped[int] = mapped_column(ForeignKey("appraisal_template.id"))
    bands: Mapped[list] = mapped_column(JSON)  # copied from the template
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team = relationship("Team")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    appraisals: Mapped[list[Appraisal]] = relationship(back_populates="cycle")

    __table_args__ = (UniqueConstraint("team_id", "period_key", name="uq_appraisal_cycle_team_period"),
                      Index("ix_appraisal_cycle_team_start", "team_id", "start"))


STATES = ("open", "finalised", "acknowledged", "disputed")


class Appraisal(db.Model):
    __tablename__ = "appraisal"
    __audited__ = True
    __owner_column__ = "rep_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("appraisal_cycle.id", ondelete="CASCADE"), index=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    state: Mapped[str] = mapped_column(String(12), default="open")
    presence: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal(1))  # share of the period employed
    self_assessment: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)  # the director's overall comment
    total: Mapped[Decimal | None] = mapped_column(SCORE)
    grade: Mapped[str | None] = mapped_column(String(4))
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disagreement: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[AppraisalCycle] = relationship(back_populates="appraisals")
    rep = relationship("User", foreign_keys=[rep_id])
    finalised_by = relationship("User", foreign_keys=[finalised_by_id])
    items: Mapped[list[AppraisalItem]] = relationship(
        back_populates="appraisal", order_by="AppraisalItem.position", cascade="all, delete-orphan")

    __mapper_args__ = concurrency.mapper_args(version)
    __table_args__ = (UniqueConstraint("cycle_id", "rep_id", name="uq_appraisal_cycle_rep"),
                      Index("ix_appraisal_rep_state", "rep_id", "state"),
                      Index("ix_appraisal_team_state", "team_id", "state"),
                      # the company's count per state (GM home panel) walks this in order, no sort
                      Index("ix_appraisal_state", "state"))

    @property
    def locked(self) -> bool:
        return self.state != "open"


class AppraisalItem(db.Model):
    """One row of the sheet: the definition copied from the template, the figures and the score."""

    __tablename__ = "appraisal_item"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    rule: Mapped[str] = mapped_column(String(20))
    base_target: Mapped[Decimal | None] = mapped_column(FIGURE)  # as the template gave it (per month)
    target: Mapped[Decimal | None] = mapped_column(FIGURE)  # for this rep and period
    floor: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    computed: Mapped[Decimal | None] = mapped_column(FIGURE)  # from the records (None: no data)
    note: Mapped[str | None] = mapped_column(String(200))  # why a figure is missing ("no target" …)
    adjusted: Mapped[Decimal | None] = mapped_column(FIGURE)  # the director's correction
    adjust_reason: Mapped[str | None] = mapped_column(Text)
    judged: Mapped[Decimal | None] = mapped_column(SCORE)  # 1–5 for judged items
    remark: Mapped[str | None] = mapped_column(Text)
    self_score: Mapped[Decimal | None] = mapped_column(SCORE)  # the rep's own view, shown beside
    score: Mapped[Decimal | None] = mapped_column(SCORE)  # 0–5

    appraisal: Mapped[Appraisal] = relationship(back_populates="items")

    @property
    def actual(self) -> Decimal | None:
        """The figure that is scored: the director's adjustment when there is one."""
        return self.adjusted if self.adjusted is not None else self.computed


class PersonnelNote(db.Model):
    """The director's dated notes on hiring, transfer, promotion, warning or dismissal (private)."""

    __tablename__ = "personnel_note"
    __audited__ = True
    # No owner column on purpose: the rep never reads these (see services.can_read_notes).

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    kind: Mapped[str] = mapped_column(String(16))  # hire, transfer, promotion, warning, dismissal
    on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    private: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User", foreign_keys=[author_id])
