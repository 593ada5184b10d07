"""Demo approval chains: in both teams every kind goes to the director, then the GM from 100,000 CNY.

Requests are left to the features that submit records (contracts, expenses, plans)."""
from decimal import Decimal

from ..core.db import db
from ..demo import register_seeder
from .models import KINDS, ApprovalChain, ApprovalChainStep


@register_seeder(order=90)
def seed_chains(ctx) -> None:
    for name in ("华东区", "华北区"):
        team = ctx["teams"][name]
        for kind in KINDS:
            chain = ApprovalChain(team_id=team.id, kind=kind, steps=[
                ApprovalChainStep(position=1, role="director"),
                ApprovalChainStep(position=2, role="gm", min_amount=Decimal("100000.00"))])
            db.session.add(chain)
    db.session.flush()
