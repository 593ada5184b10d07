"""Where each computed figure comes from. The appraisal reads the other features' own figures.

Counts come from the customer log's ``counted_rows`` definitions, sales from the contracts'
order totals, targets from the plans, the completion rate from communication; each is a GROUP BY
over all the cycle's reps at once (the log's counts in one statement, the three periods' orders in another),
so a cycle costs a constant number of queries. The evidence page
lists the very rows a figure counts (``row_statement``), so every number can be traced back.

Those features never import this one.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from ..core.periods import Period
from .scoring import growth_percent, q2

# sheet metric -> the customer log's counted_rows name
CUSTOMER_METRICS = {
    "new_customers": "new_customers",
    "visits_existing": "visits_existing",
    "calls": "calls",
    "new_prospects": "new_prospects",
    "customers_lost": "customers_lost",
    "request_response": "requests_due",
}
ORDER_METRICS = ("actual_sales", "orders_per_week", "growth")


def row_statement(metric: str, rep_ids, period: Period):
    """The records behind a figure (a Select of the record model)."""
    if metric in CUSTOMER_METRICS:
        from ..customers.queries import counted_rows

        return counted_rows(CUSTOMER_METRICS[metric], rep_ids, period)[0]
    if metric in ORDER_METRICS:
        from ..contracts.models import Order

        return select(Order).where(Order.owner_id.in_(list(rep_ids)), Order.ordered_on >= period.start,
                                   Order.ordered_on < period.end)
    raise KeyError(metric)


def evidence_order(metric: str):
    """Newest first, whatever the record type."""
    from ..contracts.models import Order
    from ..customers.models import Activity, Customer, ResourceRequest

    return {
        "new_customers": (Customer.activated_at.desc(),), "new_prospects": (Customer.created_at.desc(),),
        "customers_lost": (Customer.lost_at.desc(),), "visits_existing": (Activity.occurred_at.desc(),),
        "calls": (Activity.occurred_at.desc(),), "request_response": (ResourceRequest.due_at.desc(),),
    }.get(metric, (Order.ordered_on.desc(), Order.id.desc()))


def figures(rep_ids, period: Period) -> dict[int, dict[str, object]]:
    """Every computed figure for every rep: {rep_id: {metric: Decimal or None, …}}."""
    from ..comms.queries import completion_rates
    from ..contracts.queries import order_totals_by_period
    from ..customers.queries import log_figures
    from ..plans.queries import rep_targets

    reps = list(rep_ids)
    out: dict[int, dict] = defaultdict(dict)
    logged = log_figures(reps, period)
    counts = {metric: logged[CUSTOMER_METRICS[metric]] for metric in
              ("new_customers", "visits_existing", "calls", "new_prospects", "customers_lost")}
    due, answered = logged["requests_due"], logged["requests_answered"]
    sales, previous, last_year = order_totals_by_period((period, period.previous(), period.same_last_year()),
                                                        "rep", reps)
    targets = rep_targets(reps, period, "sales")
    rates = completion_rates(reps, period)
    weeks = Decimal(period.working_days()) / 5
    for rep in reps:
        row = out[rep]
        for metric, values in counts.items():
            row[metric] = Decimal(values.get(rep, 0))
        amount, n_orders = (sales[rep][0], sales[rep][1]) if rep in sales else (Decimal(0), 0)
        row["actual_sales"] = amount
        row["orders_per_week"] = q2(Decimal(n_orders) / weeks) if weeks else None
        row["planned_target"] = targets.get(rep)
        before = previous[rep][0] if rep in previous else None
        row["growth"] = growth_percent(amount, before)
        row["growth_yoy"] = growth_percent(amount, last_year[rep][0]) if rep in last_year else None
        rate = (rates.get(rep) or {}).get("rate")
        row["plan_report_rate"] = None if rate is None else q2(Decimal(str(rate)))
        n_due = due.get(rep, 0)
        row["request_response"] = q2(Decimal(answered.get(rep, (0, 0))[1]) * 100 / n_due) if n_due else None
    return dict(out)
