"""The demo company has collection plans with overdue instalments, invoices in each status, a contract in approval."""
from __future__ import annotations

from conftest import sign_in
from sqlalchemy import func, select

from portal.approvals.models import ApprovalRequest
from portal.contracts.creditcode import is_valid
from portal.contracts.models import INVOICE_STATUSES, Contract, Instalment, InvoiceRequest
from portal.core.db import db
from portal.core.periods import local_today
from portal.demo import seed_demo


def test_demo_collections(app, client):
    ctx = seed_demo()
    db.session.commit()
    if not db.session.scalar(select(func.count(Contract.id))):
        return  # contracts need the customer log's demo customers
    today = local_today()
    states = {i.state(today) for i in db.session.scalars(select(Instalment))}
    assert {"overdue", "paid", "pending"} <= states
    assert set(db.session.scalars(select(InvoiceRequest.status).distinct())) == set(INVOICE_STATUSES)
    assert all(is_valid(code) for code in db.session.scalars(select(InvoiceRequest.tax_number)))
    req = db.session.scalar(select(ApprovalRequest).where(ApprovalRequest.record_type == "contract"))
    assert req.status == "pending" and db.session.get(Contract, req.record_id).status == "draft"
    sign_in(client, ctx["users"]["gm"])
    page = client.get("/plans/overview").get_data(as_text=True)
    assert 'id="collections-overdue">0 ·' not in page
    for url in ("/contracts/instalments?state=overdue", "/contracts/invoices", f"/contracts/{req.record_id}"):
        assert client.get(url).status_code == 200, url
