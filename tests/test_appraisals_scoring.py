"""The sheet's arithmetic with hand-worked figures."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from portal.appraisals import scoring
from portal.appraisals.defaults import SEED_ITEMS


def test_seed_sheet_has_twelve_items_adding_to_100():
    assert len(SEED_ITEMS) == 12
    assert sum(item[3] for item in SEED_ITEMS) == 100
    assert [item[1] for item in SEED_ITEMS][:3] == ["原本计划的销售指标", "实际完成销量", "开发新客户数量"]


def test_weighted_example_from_the_issue():
    # 5 at weight 30 % and 3 at weight 70 % give 3.6 on the 5-point scale.
    assert scoring.weighted_total([(D(5), D(30)), (D(3), D(70))]).total == D("3.60")


@pytest.mark.parametrize("actual,target,expected", [
    (D(100), D(100), D("5.00")),   # on target: full marks
    (D(150), D(100), D("5.00")),   # capped
    (D(50), D(100), D("0.00")),    # 50 % is the zero point
    (D(40), D(100), D("0.00")),    # below it stays 0
    (D(75), D(100), D("2.50")),    # half way
    (D(90), D(120), D("2.50")),    # 75 % of target
    (D("83.3"), D(100), D("3.33")),  # 5 × 33.3/50 = 3.33
])
def test_linear_rule(actual, target, expected):
    assert scoring.score_item("linear", actual, target, D(50)).score == expected


def test_linear_without_target_is_no_score_with_reason():
    result = scoring.score_item("linear", D(10), None, D(50))
    assert result.score is None and result.reason == "no_target"
    assert scoring.score_item("linear", D(10), D(0), D(50)).reason == "no_target"


def test_missing_figure_is_not_a_zero():
    result = scoring.score_item("growth", None, D(10), D(-10))
    assert result.score is None and result.reason == "no_data"


@pytest.mark.parametrize("growth,expected", [(D(10), D("5.00")), (D(-10), D("0.00")), (D(0), D("2.50")),
                                             (D(4), D("3.50")), (D(30), D("5.00"))])
def test_growth_rule(growth, expected):
    assert scoring.score_item("growth", growth, D(10), D(-10)).score == expected


@pytest.mark.parametrize("lost,expected", [(D(0), D("5.00")), (D(1), D("4.00")), (D(3), D("2.00")),
                                           (D(5), D("0.00")), (D(9), D("0.00"))])
def test_inverse_rule(lost, expected):
    assert scoring.score_item("inverse", lost, D(0), D(5)).score == expected


def test_rate_rule():
    assert scoring.score_item("rate", D(80), D(100), D(50)).score == D("3.00")


def test_judged_rule():
    assert scoring.score_item("judged", None, None, None, judged=D(4)).score == D("4.00")
    assert scoring.score_item("judged", None, None, None).reason == "not_judged"


def test_reference_item_is_not_scored():
    assert scoring.score_item("none", D(100000), None, None).score is None


def test_total_scales_remaining_weights_and_says_so():
    total = scoring.weighted_total([(D(4), D(50)), (None, D(25)), (D(2), D(25)), (None, D(0))])
    # (4×50 + 2×25) / 75 = 3.333…
    assert total.total == D("3.33") and total.weight_used == 75 and not total.complete


def test_total_of_nothing_is_none():
    assert scoring.weighted_total([(None, D(100))]).total is None


@pytest.mark.parametrize("total,grade", [(D("4.50"), "A"), (D("4.49"), "B"), (D("3.5"), "B"), (D("2.49"), "D"),
                                         (D(0), "D"), (None, None)])
def test_grades(total, grade):
    bands = [["A", "4.50"], ["B", "3.50"], ["C", "2.50"], ["D", "0"]]
    assert scoring.grade_for(total, bands) == grade


def test_growth_percent():
    assert scoring.growth_percent(D(120), D(100)) == D("20.00")
    assert scoring.growth_percent(D(80), D(100)) == D("-20.00")
    assert scoring.growth_percent(D(80), D(0)) is None
    assert scoring.growth_percent(D(80), None) is None


def test_monthly_target_scaled_to_period_and_presence():
    # 12 visits a month; a 91-day quarter: 12 × 91 / 30.4375 = 35.88
    assert scoring.scale_monthly_target(D(12), 91, D(1)) == D("35.88")
    # a rep employed for half of a 30-day month: 12 × 30/30.4375 × 0.5 = 5.91
    assert scoring.scale_monthly_target(D(12), 30, D("0.5")) == D("5.91")
    assert scoring.scale_monthly_target(None, 30, D(1)) is None
