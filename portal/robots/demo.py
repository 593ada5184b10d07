"""Demo robot: 华东区's WeCom group robot points at a local port where nothing listens, so its delivery
log shows failed attempts waiting for their retry."""
from ..core.db import db
from ..demo import register_seeder
from . import services
from .models import Robot

DEMO_URL = "http://127.0.0.1:9/robot"


@register_seeder(order=90)
def seed_robots(ctx) -> None:
    team = ctx["teams"]["华东区"]
    director = ctx["users"]["zhao.director"]
    robot = Robot(team_id=team.id, name="华东区销售群", platform="wecom", url=DEMO_URL,
                  events=sorted(services.EVENTS), active=True, created_by_id=director.id)
    db.session.add(robot)
    db.session.flush()
    rows = services.post_event("task_assigned_team", team.id, "新任务：本周完成重点客户回访",
                               "赵敏给华东区分配了任务，请各位本周内完成重点客户回访并填写跟进记录。", "/")
    rows += services.post_event("contract_approved", team.id, "合同已审批通过：上海恒瑞机电设备采购合同",
                                "金额 ¥268,000.00，审批人：赵敏、王建国。", "/")
    for row in rows:  # nothing listens on port 9: each gets a failed attempt and a retry time
        services.attempt(row)
