"""Data scopes per role: self, self and reports, own team, own team and sub-teams."""
from __future__ import annotations

from conftest import sign_in
from sqlalchemy import select

from portal.authz import can_edit_record, can_see_record, managed_team_ids, scope_query
from portal.core import settings
from portal.core.db import db
from portal.people.models import User


class Note:
    """A stand-in record type with an owner and a team, as sales records have."""

    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    def __init__(self, owner_id, team_id):
        self.owner_id, self.team_id = owner_id, team_id


def _scope(role, value):
    settings.put(f"data_scope.{role}", value)
    db.session.commit()


def test_director_sees_sub_teams_by_default(app, world, make_team, make_user):
    sub = make_team("Team A-1")
    sub.parent_id = world.team_a.id
    subsub = make_team("Team A-1-a")
    subsub.parent_id = sub.id
    db.session.commit()
    rep = make_user("rep", subsub)
    with app.test_request_context():
        assert managed_team_ids(world.director_a) == {world.team_a.id, sub.id, subsub.id}
        assert can_see_record(world.director_a, Note(rep.id, subsub.id))
        assert not can_see_record(world.director_b, Note(rep.id, subsub.id))


def test_dept_only_excludes_sub_teams(app, world, make_team):
    sub = make_team("Team A-2")
    sub.parent_id = world.team_a.id
    db.session.commit()
    _scope("director", "dept")
    with app.test_request_context():
        assert managed_team_ids(world.director_a) == {world.team_a.id}


def test_self_scope_for_directors(app, world):
    _scope("director", "self")
    with app.test_request_context():
        assert not can_see_record(world.director_a, Note(world.rep_a.id, world.team_a.id))
        assert can_see_record(world.director_a, Note(world.director_a.id, world.team_a.id))


def test_self_and_reports(app, world):
    _scope("director", "self_and_reports")
    with app.test_request_context():
        assert can_see_record(world.director_a, Note(world.rep_a.id, world.team_a.id))
        # a record filed under the team but owned by nobody (the public pool) is not theirs
        assert not can_see_record(world.director_a, Note(None, world.team_a.id))
        stmt = scope_query(select(User), _UserAsRecord, world.director_a)
        owners = set(db.session.scalars(stmt.with_only_columns(User.id)))
        assert world.rep_a.id in owners and world.rep_b.id not in owners


class _UserAsRecord:
    __owner_column__ = "id"
    __team_column__ = "team_id"
    id = User.id
    team_id = User.team_id


def test_rep_team_scope_reads_but_never_edits(app, world):
    note = Note(world.rep_a2.id, world.team_a.id)
    with app.test_request_context():
        assert not can_see_record(world.rep_a, note)
    _scope("rep", "dept")
    with app.test_request_context():
        assert can_see_record(world.rep_a, note)
        assert not can_edit_record(world.rep_a, note)
        assert can_edit_record(world.rep_a, Note(world.rep_a.id, world.team_a.id))
        assert not can_see_record(world.rep_b, note)


def test_admin_sets_scopes(client, world):
    sign_in(client, world.admin)
    resp = client.post("/admin/settings", data={"company_name": "测试公司", "default_locale": "zh_CN",
                                                "data_scope_director": "dept", "data_scope_rep": "dept"})
    assert resp.status_code == 302
    assert settings.get("data_scope.rep") == "dept"
    resp = client.post("/admin/settings", data={"company_name": "测试公司", "default_locale": "zh_CN",
                                                "data_scope_director": "everything", "data_scope_rep": "dept"})
    assert resp.status_code == 200 and "is-invalid" in resp.get_data(as_text=True)


def test_every_worker_sees_a_team_tree_change_at_once(app, world, make_team, make_app):
    """Each worker keeps the team tree; a new sub-team, a team moved under another and a new head are
    seen by a second worker on its next request."""
    from portal.core.cache import bump

    bump(db.session.connection(), "teams")  # as a migrated database has it: the workers keep the tree
    db.session.commit()
    other = make_app()

    def teams(worker, user_id):
        with worker.test_request_context():
            return managed_team_ids(db.session.get(User, user_id))

    director_a, director_b = world.director_a.id, world.director_b.id
    assert teams(other, director_a) == {world.team_a.id} and teams(app, director_a) == {world.team_a.id}
    sub = make_team("Team A-1")
    sub.parent_id = world.team_a.id
    db.session.commit()
    assert teams(other, director_a) == {world.team_a.id, sub.id}
    sub.parent_id = world.team_b.id
    db.session.commit()
    assert teams(other, director_a) == {world.team_a.id}
    assert teams(other, director_b) == {world.team_b.id, sub.id}
    world.team_b.director_id = director_a
    db.session.commit()
    assert teams(other, director_a) == {world.team_a.id, world.team_b.id, sub.id}


def test_the_scope_signature_says_when_a_scoped_statement_may_be_reused(app, world, make_team, make_user):
    """A statement scoped for one signature (portal.authz.scope_signature) is kept and reused, as the
    customer timeline's contracts are: whatever the settings and the team tree, one signature never
    stands for two different scopes."""
    from portal.authz import scope_signature
    from portal.contracts.models import Contract

    sub = make_team("Team A-3")
    other_rep = make_user("rep", sub)
    seen: dict[tuple, str] = {}
    for parent in (None, world.team_a.id):
        sub.parent_id = parent
        db.session.commit()
        for director_scope in ("self", "self_and_reports", "dept", "dept_and_sub"):
            for rep_scope in ("self", "dept"):
                _scope("director", director_scope)
                _scope("rep", rep_scope)
                with app.test_request_context():
                    for user in (world.rep_a, other_rep, world.director_a, world.gm):
                        sql = str(scope_query(select(Contract.id), Contract, user).compile(
                            compile_kwargs={"literal_binds": True}))
                        key = scope_signature(user)
                        assert seen.setdefault(key, sql) == sql, (key, director_scope, rep_scope, parent)
    assert len(set(seen.values())) >= 8  # the settings and the tree did change the scopes
