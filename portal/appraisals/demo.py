"""Demo appraisals: finalised monthly cycles for the last two months and an open one for this month."""
from decimal import Decimal

from ..core.periods import Period, local_today
from ..demo import register_seeder
from . import services


@register_seeder(order=80)
def seed_appraisals(ctx) -> None:
    users = ctx["users"]
    today = local_today()
    this_month = Period.containing("month", today)
    months = [this_month.previous().previous(), this_month.previous(), this_month]
    for director_name in ("zhao.director", "qian.director"):
        director = users[director_name]
        for n, period in enumerate(months):
            cycle = services.open_cycle(director, director.team_id, period)
            if period == this_month:
                continue
            for k, appraisal in enumerate(cycle.appraisals):
                conduct = next(i for i in appraisal.items if i.metric == "conduct")
                score = Decimal(3 + (k + n) % 3)
                good = score >= 4
                remark = "遵守考勤与拜访制度" if good else "有两次拜访记录补录较晚"
                comment = "本月完成情况总体良好，继续加强老客户回访。" if good else "需提高电话拜访频次，按时提交周报。"
                services.save_review(director, appraisal, judged={conduct.id: score}, remarks={conduct.id: remark},
                                     adjustments={}, comment=comment)
                services.finalise(director, appraisal)
                if period == months[0] or k % 2 == 0:
                    objection = "第三周客户拜访因展会顺延，应予考虑。" if (k == 1 and period == months[0]) else None
                    services.acknowledge(appraisal.rep, appraisal, objection)
