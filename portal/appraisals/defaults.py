"""The seed's 12-item sheet (绩效考核), in its order, with default weights, rules and targets.

Weights add up to 100. Item 1 is the reference the sales figure is measured against, so it carries
no weight of its own. Count targets are per month (scaled to the period and the rep's presence).
"""
from decimal import Decimal as D

# metric, 中文, English, weight, rule, target, floor
SEED_ITEMS = [
    ("planned_target", "原本计划的销售指标", "Planned sales target", D(0), "none", None, None),
    ("actual_sales", "实际完成销量", "Actual sales achieved", D(25), "linear", None, D(50)),
    ("new_customers", "开发新客户数量", "New customers developed", D(10), "linear", D(2), D(50)),
    ("visits_existing", "现有客户的拜访数量", "Visits to existing customers", D(10), "linear", D(12), D(50)),
    ("calls", "电话销售拜访数量", "Telephone sales calls", D(10), "linear", D(30), D(50)),
    ("orders_per_week", "周定单数量", "Orders per week", D(5), "linear", D(2), D(50)),
    ("growth", "增长率", "Growth rate", D(10), "growth", D(10), D(-10)),
    ("new_prospects", "新增开发客户数量", "Newly added prospects", D(5), "linear", D(5), D(50)),
    ("customers_lost", "丢失客户数量", "Customers lost", D(5), "inverse", D(0), D(5)),
    ("conduct", "销售人员的行为纪律", "Conduct and discipline", D(10), "judged", None, None),
    ("plan_report_rate", "工作计划、汇报完成率", "Work plan and report completion rate", D(5), "rate", D(100), D(50)),
    ("request_response", "需求资源客户的回复工作情况", "Answering customers' resource requests", D(5), "rate", D(100),
     D(50)),
]

# Metrics whose per-month target is scaled to the period; the others are rates or amounts.
MONTHLY_COUNT_METRICS = {"new_customers", "visits_existing", "calls", "new_prospects"}
RULES = ("linear", "rate", "growth", "inverse", "judged", "none")
