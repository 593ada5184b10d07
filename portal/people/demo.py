"""Demo people: a GM, an administrator, two teams with their directors and eight reps."""
from datetime import date

from ..auth.passwords import hash_password
from ..core.db import db
from ..demo import DEMO_PASSWORD, register_seeder
from .models import Team, User

PEOPLE = [
    # username, name, role, team
    ("admin", "系统管理员", "admin", None),
    ("gm", "王建国", "gm", None),
    ("zhao.director", "赵敏", "director", "华东区"),
    ("qian.director", "钱立新", "director", "华北区"),
    ("li.na", "李娜", "rep", "华东区"),
    ("zhou.jie", "周杰", "rep", "华东区"),
    ("wu.fang", "吴芳", "rep", "华东区"),
    ("zheng.hao", "郑浩", "rep", "华东区"),
    ("sun.li", "孙丽", "rep", "华北区"),
    ("chen.qiang", "陈强", "rep", "华北区"),
    ("liu.yang", "刘洋", "rep", "华北区"),
    ("he.jing", "何静", "rep", "华北区"),
]
TEAMS = [("华东区", "上海、江苏、浙江"), ("华北区", "北京、天津、河北")]


@register_seeder(order=10)
def seed_people(ctx) -> None:
    teams = {}
    for name, region in TEAMS:
        team = Team(name=name, region=region)
        db.session.add(team)
        teams[name] = team
    db.session.flush()
    pw = hash_password(DEMO_PASSWORD)  # one hash for all: seeding stays fast
    users = {}
    for username, display, role, team in PEOPLE:
        user = User(username=username, display_name=display, role=role,
                    team_id=teams[team].id if team else None, password_hash=pw,
                    email=f"{username}@example.com", joined_on=date(2024, 3, 1))
        db.session.add(user)
        users[username] = user
    db.session.flush()
    teams["华东区"].director_id = users["zhao.director"].id
    teams["华北区"].director_id = users["qian.director"].id
    db.session.flush()
    ctx["teams"] = teams
    ctx["users"] = users
    ctx["reps"] = [u for u in users.values() if u.role == "rep"]
