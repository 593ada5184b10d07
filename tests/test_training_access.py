"""Who sees what, assignments, completion and certificates, reports, GIFT pages, queries for others."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import home_html, panel_on_each, sign_in, with_fragments
from openpyxl import load_workbook
from samples_training import PNG, SAMPLE_GIFT, assign_to, make_course, right_answers
from sqlalchemy import func, select

from portal.core.db import db, utcnow
from portal.core.periods import Period
from portal.notifications.models import Notification
from portal.training import gift, queries, services
from portal.training.models import Assignment, Attempt, Completion, Course, Question, Quiz


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


def _complete(rep, course, quiz):
    for lesson in course.lessons:
        services.mark_lesson_done(rep, lesson)
    a = services.start_attempt(rep, quiz)
    services.save_answers(rep, a, right_answers(a))
    services.finish_attempt(a)
    db.session.commit()
    return a


def test_course_visibility_by_role(world, client):
    team_course, _ = make_course(world.director_a, title="Team A only")
    company, _ = make_course(world.director_b, team_id=None, title="Company wide")
    draft, _ = make_course(world.director_a, published=False, title="Draft")
    open_course, _ = make_course(world.director_a, open_to_all=True, title="Open to team A")
    assign_to(world.director_a, team_course, world.rep_a)

    def titles(user):
        return {c.title for c in db.session.scalars(services.visible_courses(user))}

    assert titles(world.rep_a) == {"Team A only", "Open to team A"}
    assert titles(world.rep_a2) == {"Open to team A"}
    assert titles(world.rep_b) == set()
    assert titles(world.director_a) == {"Team A only", "Company wide", "Draft", "Open to team A"}
    assert titles(world.director_b) == {"Company wide"}
    assert titles(world.gm) == titles(world.admin) == {"Team A only", "Company wide", "Draft", "Open to team A"}
    # A company-wide course made by another director: director A may read and assign, not edit.
    assert services.can_see_course(world.director_a, company)
    assert not services.can_edit_course(world.director_a, company)
    sign_in(client, world.director_a)
    assert client.get(f"/training/courses/{company.id}/edit").status_code == 403
    assert client.get(f"/training/courses/{team_course.id}/edit").status_code == 200
    sign_in(client, world.rep_b)
    assert client.get(f"/training/courses/{team_course.id}").status_code == 404
    assert client.get(f"/training/lessons/{team_course.lessons[0].id}").status_code == 404
    sign_in(client, world.rep_a)
    assert client.get(f"/training/courses/{draft.id}").status_code == 404
    assert client.get(f"/training/courses/{team_course.id}").status_code == 200
    assert client.get("/training/courses/new").status_code == 403


def test_team_assignment_reaches_a_rep_who_joins_later_and_notifies(world, client, make_user):
    course, quiz = make_course(world.director_a)
    sign_in(client, world.director_a)
    due = (utcnow() + timedelta(days=10)).date()
    resp = client.post(f"/training/courses/{course.id}/assign",
                       data={"team_id": world.team_a.id, "due_on": due.isoformat()})
    assert resp.status_code == 302
    notes = db.session.scalars(select(Notification).where(Notification.kind == "training_assigned")).all()
    assert {n.user_id for n in notes} == {world.rep_a.id, world.rep_a2.id}
    assert all(n.link == f"/training/courses/{course.id}" for n in notes)
    newcomer = make_user("rep", world.team_a)
    assert [c.id for c, _cell in queries.my_training(newcomer)] == [course.id]
    assert queries.my_training(newcomer)[0][1].due_on == due
    assert queries.my_training(world.rep_b) == []
    # A director cannot assign to another team's reps.
    sign_in(client, world.director_b)
    resp = client.post(f"/training/courses/{course.id}/assign", data={"user_ids": [world.rep_a.id]})
    assert resp.status_code == 404  # team A's course is not visible to director B at all


def test_assigning_someone_elses_rep_is_refused(world, client):
    course, _ = make_course(world.director_b, team_id=None)
    sign_in(client, world.director_b)
    resp = client.post(f"/training/courses/{course.id}/assign", data={"user_ids": [world.rep_a.id], "team_id": "0"})
    assert resp.status_code == 200  # the form again, with the reason
    assert db.session.scalar(select(func.count(Assignment.id))) == 0


def test_completion_certificate_and_public_verification(world, client):
    course, quiz = make_course(world.director_a)
    assign_to(world.director_a, course, world.rep_a)
    _complete(world.rep_a, course, quiz)
    completion = db.session.scalar(select(Completion))
    assert completion.score == Decimal("100.00")
    sign_in(client, world.rep_a)
    html = client.get(f"/training/certificates/{completion.id}").get_data(as_text=True)
    assert completion.code in html and world.rep_a.display_name in html
    sign_in(client, world.rep_b)
    assert client.get(f"/training/certificates/{completion.id}").status_code == 404
    client.delete_cookie("portal_session")
    public = client.get(f"/training/verify?code={completion.code.lower()}")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert world.rep_a.display_name in html and course.title in html and "100.00" in html
    for private in (world.team_a.name, world.rep_a.username, "Lesson 1", world.director_a.display_name):
        assert private not in html
    assert "没有与此验证码对应的证书" in client.get("/training/verify?code=NOPE-NOPE-NOPE").get_data(as_text=True)


def test_a_course_is_complete_only_with_every_lesson_and_quiz(world):
    course, quiz = make_course(world.director_a, lessons=2)
    assign_to(world.director_a, course, world.rep_a)
    a = services.start_attempt(world.rep_a, quiz)
    services.save_answers(world.rep_a, a, right_answers(a))
    services.finish_attempt(a)
    assert services.check_completion(world.rep_a, course) is None  # lessons not done
    services.mark_lesson_done(world.rep_a, course.lessons[0])
    assert services.check_completion(world.rep_a, course) is None
    services.mark_lesson_done(world.rep_a, course.lessons[1])
    assert services.check_completion(world.rep_a, course) is not None


def test_prerequisites_lock_a_course(world, client):
    basics, basics_quiz = make_course(world.director_a, title="Basics")
    advanced, adv_quiz = make_course(world.director_a, title="Advanced")
    services.set_prerequisites(world.director_a, advanced, [basics.id])
    with pytest.raises(Exception, match="互为前置"):
        services.set_prerequisites(world.director_a, basics, [advanced.id])
    assign_to(world.director_a, basics, world.rep_a)
    assign_to(world.director_a, advanced, world.rep_a)
    with pytest.raises(Exception, match="前置课程"):
        services.start_attempt(world.rep_a, adv_quiz)
    _complete(world.rep_a, basics, basics_quiz)
    assert services.start_attempt(world.rep_a, adv_quiz).number == 1


def test_attempts_are_seen_by_owner_their_director_and_gm(world, client):
    course, quiz = make_course(world.director_a)
    assign_to(world.director_a, course, world.rep_a)
    assign_to(world.director_a, course, world.rep_a2)
    a = _complete(world.rep_a, course, quiz)
    url = f"/training/attempts/{a.id}"
    for user, status in ((world.rep_a, 200), (world.rep_a2, 404), (world.director_a, 200), (world.director_b, 404),
                         (world.gm, 200), (world.rep_b, 404), (world.admin, 403)):
        sign_in(client, user)
        assert client.get(url).status_code == status, user.username


def test_lesson_files_only_for_those_enrolled_or_managing(world, client):
    course, _ = make_course(world.director_a)
    lesson = course.lessons[0]
    sign_in(client, world.director_a)
    resp = client.post(f"/training/courses/{course.id}/files",
                       data={"lesson_id": lesson.id, "file": (io.BytesIO(PNG), "chart.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    bad = client.post(f"/training/courses/{course.id}/files",
                      data={"lesson_id": lesson.id, "file": (io.BytesIO(b"MZ..."), "tool.exe")},
                      content_type="multipart/form-data")
    assert bad.status_code == 302
    (f,) = lesson.files
    assign_to(world.director_a, course, world.rep_a)
    for user, status in ((world.rep_a, 200), (world.rep_a2, 404), (world.director_a, 200), (world.director_b, 404),
                         (world.gm, 200)):
        sign_in(client, user)
        resp = client.get(f"/training/files/{f.id}")
        assert resp.status_code == status, user.username
        if status == 200:
            assert resp.data == PNG
        resp.close()


def test_lesson_markdown_is_sanitised(world, client):
    course, _ = make_course(world.director_a)
    services.save_lesson(world.director_a, course, course.lessons[0], title="X",
                         body="<script>alert(1)</script> [x](javascript:alert(1)) **bold**", minutes=3)
    db.session.commit()
    sign_in(client, world.director_a)
    html = client.get(f"/training/lessons/{course.lessons[0].id}").get_data(as_text=True)
    assert "<strong>bold</strong>" in html and "<script>alert" not in html and 'href="javascript' not in html


def test_mark_as_done_over_http(world, client):
    course, _ = make_course(world.director_a)
    assign_to(world.director_a, course, world.rep_a)
    sign_in(client, world.rep_a)
    first, second = course.lessons
    resp = client.post(f"/training/lessons/{first.id}/done", data={"next_id": second.id})
    assert resp.headers["Location"].endswith(f"/training/lessons/{second.id}")
    client.post(f"/training/lessons/{first.id}/done")  # twice: still once
    cells, _ = queries.cells_for([world.rep_a])
    assert cells[(world.rep_a.id, course.id)].done == 1
    assert cells[(world.rep_a.id, course.id)].status == "in_progress"


def test_gift_import_preview_then_import_and_export_round_trip(world, client):
    course, _ = make_course(world.director_a, quiz=False, gift_source="")
    sign_in(client, world.director_a)
    source = SAMPLE_GIFT + "\n\n::Broken:: {=a ~b\n\n::中文::第一步？ {=了解需求 ~报价}\n"
    resp = client.post(f"/training/courses/{course.id}/import",
                       data={"file": (io.BytesIO(source.encode("utf-8")), "bank.gift"), "action": "preview"},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert "了解需求" in html and "-100%" in html and ("Line 10" in html or "第 10 行" in html)
    assert db.session.scalar(select(func.count(Question.id))) == 0  # a preview stores nothing
    resp = client.post(f"/training/courses/{course.id}/import", data={"source": source, "action": "import"})
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count(Question.id))) == 4
    exported = client.get(f"/training/courses/{course.id}/export.gift").get_data(as_text=True)
    again = gift.parse(exported)
    assert again.errors == []
    stored = [gift.comparable(services.question_as_gift(q)) for q in services.bank_questions(course)]
    assert [gift.comparable(q) for q in again.questions] == stored


def test_question_editor_preview_and_save(world, client):
    course, _ = make_course(world.director_a, quiz=False)
    sign_in(client, world.director_a)
    resp = client.post(f"/training/courses/{course.id}/questions/preview", data={"source": "Q {=a ~b #why}"},
                       headers={"HX-Request": "true"})
    assert "why" in resp.get_data(as_text=True)
    bad = client.post(f"/training/courses/{course.id}/questions/new", data={"source": "no braces", "mark": "1"})
    assert bad.status_code == 200
    resp = client.post(f"/training/courses/{course.id}/questions/new",
                       data={"source": "::N:: Pi? {#3.14:0.01}", "mark": "2", "category": "Maths"})
    assert resp.status_code == 302
    q = db.session.scalar(select(Question).where(Question.title == "N"))
    assert q.qtype == "numerical" and q.mark == Decimal("2.00") and q.category.name == "Maths"
    sign_in(client, world.rep_a)
    assert client.get(f"/training/questions/{q.id}/edit").status_code == 403


def test_matrix_statuses_scope_xlsx_and_flat_queries(world, client, count_queries, make_user):
    course, quiz = make_course(world.director_a)
    assign_to(world.director_a, course, world.rep_a)
    db.session.add(Assignment(course_id=course.id, user_id=world.rep_a2.id, team_id=world.team_a.id,
                              assigned_by_id=world.director_a.id, due_on=(utcnow() - timedelta(days=2)).date()))
    db.session.commit()
    _complete(world.rep_a, course, quiz)
    sign_in(client, world.director_a)
    html = client.get("/training/reports/matrix").get_data(as_text=True)
    assert 'data-status="passed"' in html and 'data-status="overdue"' in html and "100.00" in html
    assert world.rep_b.display_name not in html
    resp = client.get("/training/reports/matrix?format=xlsx")
    wb = load_workbook(io.BytesIO(resp.data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][2] == course.title and len(rows) == 3
    sign_in(client, world.director_b)
    assert world.rep_a.display_name not in client.get("/training/reports/matrix").get_data(as_text=True)
    sign_in(client, world.rep_a)
    assert client.get("/training/reports/matrix").status_code == 403
    sign_in(client, world.director_a)
    db.session.expire_all()
    with count_queries() as small:
        client.get("/training/reports/matrix")
    for _ in range(12):
        rep = make_user("rep", world.team_a)
        assign_to(world.director_a, course, rep)
        services.mark_lesson_done(rep, course.lessons[0])
    more, _ = make_course(world.director_a, title="Second")
    assign_to(world.director_a, more, world.rep_a)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as big:
        client.get("/training/reports/matrix")
    assert big.n == small.n


def test_matrix_pages_its_course_columns_and_keeps_the_filter(world, client, count_queries):
    courses = [make_course(world.director_a, title=f"Course {n:02}", quiz=False, lessons=1, gift_source="")[0]
               for n in range(1, 13)]
    for course in courses:
        assign_to(world.director_a, course, world.rep_a)
    services.mark_lesson_done(world.rep_a, courses[11].lessons[0])
    db.session.commit()
    sign_in(client, world.director_a)
    url = f"/training/reports/matrix?team={world.team_a.id}"
    first = client.get(url).get_data(as_text=True)
    assert "Course 01" in first and "Course 10" in first and "Course 11" not in first
    assert first.count('class="matrix-cell"') == 10 * first.count('scope="row"')
    # The next-courses link keeps the team filter; page 2 shows the two courses left, one completed.
    nxt = re.search(r'href="([^"]*course_page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert url.split("?")[1] in nxt
    db.session.expire_all()
    with count_queries() as page_two:
        second = client.get(nxt).get_data(as_text=True)
    assert "Course 11" in second and "Course 12" in second and "Course 01" not in second
    assert 'data-status="passed"' in second and "course_page=1" in second
    assert "11–12" in second  # which courses of the 12 these are
    db.session.expire_all()
    with count_queries() as page_one:
        client.get(url)
    assert page_one.n == page_two.n <= 12
    # The export is the whole matrix: every course a column.
    rows = list(load_workbook(io.BytesIO(client.get("/training/reports/matrix?format=xlsx").data))
                .active.iter_rows(values_only=True))
    assert list(rows[0][2:]) == [c.title for c in courses]


def test_overdue_panel_shows_the_most_overdue_and_the_total(world, client, count_queries):
    from portal.training.panels import _overdue

    def assign_late(n: int):
        course, _ = make_course(world.director_a, title=f"Late {n:02}", quiz=False, lessons=1, gift_source="")
        assign_to(world.director_a, course, world.rep_a, due_days=-n)

    assign_late(1)
    with count_queries() as one:
        assert _overdue(world.director_a)["total"] == 1
    for n in range(2, 13):
        assign_late(n)
    db.session.add(Completion(user_id=world.rep_a.id, team_id=world.team_a.id, code="DONE-12",
                              course_id=db.session.scalar(select(Course.id).where(Course.title == "Late 12"))))
    db.session.commit()
    with count_queries() as many:
        ctx = _overdue(world.director_a)
    assert many.n == one.n <= 3
    # Completed courses are not overdue; the earliest due come first; ten shown, eleven in all.
    assert ctx["total"] == 11 and [c.title for _r, c, _d in ctx["late"]] == [f"Late {n:02}" for n in range(11, 1, -1)]
    assert _overdue(world.director_b)["total"] == 0
    sign_in(client, world.gm)
    panel = client.get("/panels/training.overdue").get_data(as_text=True)
    assert panel.count("<li>") == 10 and "11" in panel


def test_quiz_report_statistics(world, client, make_user):
    course, quiz = make_course(world.director_a, max_attempts=None)
    reps = [make_user("rep", world.team_a) for _ in range(4)]
    for n, rep in enumerate(reps):
        assign_to(world.director_a, course, rep)
        a = services.start_attempt(rep, quiz)
        key = right_answers(a)
        if n < 2:  # two weak reps get the colour question wrong (choose "red")
            for slot, layout in enumerate(a.layout):
                q = db.session.get(Question, layout["q"])
                if q.title == "Colour":
                    key[slot] = {"choice": 1}
        services.save_answers(rep, a, key)
        services.finish_attempt(a)
    db.session.commit()
    stats = {s["question"].title: s for s in queries.question_statistics(world.director_a, quiz)}
    colour = stats["Colour"]
    assert colour["n"] == 4 and colour["percent_right"] == Decimal("50.0")
    assert colour["wrong"] == ("red", 2)
    # 27% of 4 attempts rounds to 1: best attempt right (1.00) − worst wrong (0.00)
    assert colour["discrimination"] == Decimal("1.00")
    assert queries.score_distribution(world.director_a, quiz)[9] == 2
    sign_in(client, world.director_a)
    html = client.get(f"/training/quizzes/{quiz.id}/report").get_data(as_text=True)
    assert "score-chart" in html and "red" in html
    xlsx = client.get(f"/training/quizzes/{quiz.id}/report?format=xlsx")
    assert len(list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows())) == 5
    assert queries.question_statistics(world.director_b, quiz) == []


def test_profile_section_and_home_panels(world, client):
    course, quiz = make_course(world.director_a)
    db.session.add(Assignment(course_id=course.id, user_id=world.rep_a.id, team_id=world.team_a.id,
                              assigned_by_id=world.director_a.id, due_on=(utcnow() - timedelta(days=1)).date()))
    db.session.commit()
    sign_in(client, world.rep_a)
    home = home_html(client)
    assert course.title in home
    sign_in(client, world.director_a)
    home = home_html(client)
    assert course.title in home and world.rep_a.display_name in home
    profile = with_fragments(client, f"/people/{world.rep_a.id}")
    assert course.title in profile
    sign_in(client, world.director_b)
    assert course.title not in home_html(client)


def test_training_summary_and_courses_tagged(world):
    course, quiz = make_course(world.director_a)
    assign_to(world.director_a, course, world.rep_a)
    _complete(world.rep_a, course, quiz)
    assert not services.can_see_course(world.rep_a2, course)  # not assigned: nothing to count for them
    summary = queries.training_summary([world.rep_a.id, world.rep_b.id], Period.current("year"))
    assert summary[world.rep_a.id] == {"completed": 1, "average_best": Decimal("100.00"), "quizzes": 1}
    assert summary[world.rep_b.id] == {"completed": 0, "average_best": None, "quizzes": 0}
    last_year = queries.training_summary([world.rep_a.id], Period.current("year").previous())
    assert last_year[world.rep_a.id]["completed"] == 0
    assert [c.id for c in queries.courses_tagged(["VISITS", "other"])] == [course.id]
    assert queries.courses_tagged([]) == []


def test_demo_seeder(app, client):
    from portal.demo import seed_demo

    ctx = seed_demo()
    db.session.commit()
    courses = db.session.scalars(select(Course).order_by(Course.id)).all()
    assert [c.title.split(" / ")[0] for c in courses] == ["销售技巧基础", "产品知识"]
    assert db.session.scalar(select(func.count(Question.id)).where(Question.course_id == courses[0].id)) == 30
    states = {}
    for a in db.session.scalars(select(Attempt)):
        states.setdefault(a.user.username, []).append(a.score)
    assert max(states["li.na"]) >= Decimal("60") and max(states["zhou.jie"]) < Decimal("60")
    director = ctx["users"]["qian.director"]
    late, total = queries.overdue_for(director)
    assert total >= len(late) and late and all(rep.team_id == ctx["teams"]["华北区"].id for rep, _c, _d in late)
    assert db.session.scalar(select(func.count(Completion.id))) >= 2
    # Every page of the demo opens for the people who use it.
    users = ctx["users"]
    course, quiz = courses[0], db.session.scalar(select(Quiz).where(Quiz.course_id == courses[0].id))
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == users["li.na"].id))
    completion = db.session.scalar(select(Completion).where(Completion.user_id == users["li.na"].id))
    question = db.session.scalar(select(Question).where(Question.course_id == course.id))
    pages = {
        "li.na": ["/", "/training/my", f"/training/courses/{course.id}", f"/training/lessons/{course.lessons[0].id}",
                  f"/training/quizzes/{quiz.id}", f"/training/attempts/{attempt.id}",
                  f"/training/certificates/{completion.id}", f"/people/{users['li.na'].id}"],
        "zhao.director": ["/", "/training/courses", f"/training/courses/{course.id}", "/training/reports/matrix",
                          f"/training/quizzes/{quiz.id}/report", f"/training/courses/{course.id}/bank",
                          f"/training/courses/{course.id}/import", f"/training/questions/{question.id}/edit",
                          f"/training/quizzes/{quiz.id}/edit", f"/training/courses/{course.id}/assign",
                          f"/training/attempts/{attempt.id}", f"/people/{users['li.na'].id}",
                          f"/training/lessons/{course.lessons[0].id}/edit"],
        "gm": ["/", "/training/reports/matrix", f"/training/quizzes/{quiz.id}/report"],
        "admin": ["/training/courses", f"/training/courses/{course.id}/edit"],
    }
    for username, urls in pages.items():
        sign_in(client, users[username])
        for url in urls:
            assert client.get(url).status_code == 200, (username, url)


def test_deleting_keeps_what_reps_have_worked_on(world, client):
    course, quiz = make_course(world.director_a)
    spare, spare_quiz = make_course(world.director_a, title="Spare")
    assign_to(world.director_a, course, world.rep_a)
    attempt = _complete(world.rep_a, course, quiz)
    answered = db.session.get(Question, attempt.layout[0]["q"])
    sign_in(client, world.director_a)
    client.post(f"/training/questions/{answered.id}/delete")
    client.post(f"/training/quizzes/{quiz.id}/delete")
    client.post(f"/training/courses/{course.id}/delete")
    db.session.expire_all()
    assert db.session.get(Question, answered.id) and db.session.get(Course, course.id)
    sign_in(client, world.director_b)
    assert client.post(f"/training/courses/{spare.id}/delete").status_code == 404
    sign_in(client, world.director_a)
    assert client.post(f"/training/quizzes/{spare_quiz.id}/delete").status_code == 302
    assert client.post(f"/training/courses/{spare.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, spare.id) is None
    assert db.session.scalar(select(func.count(Question.id)).where(Question.course_id == spare.id)) == 0


def test_profile_training_record_shows_status_best_and_certificate(world, client):
    from portal.i18n import fmt_date

    done, quiz = make_course(world.director_a)
    waiting, _quiz = make_course(world.director_a, title="Second course")
    assign_to(world.director_a, done, world.rep_a)
    assign_to(world.director_a, waiting, world.rep_a, due_days=-3)
    _complete(world.rep_a, done, quiz)
    completion = db.session.scalar(select(Completion))
    sign_in(client, world.director_a)
    html = client.get(f"/people/{world.rep_a.id}/sections/training.record").get_data(as_text=True)
    assert f"/training/certificates/{completion.id}" in html
    assert fmt_date(completion.completed_at) in html
    assert done.title in html and waiting.title in html and "100.00" in html
    assert "已通过" in html and "已逾期" in html


def test_every_worker_shows_the_overdue_panel_as_it_is_now(world, two_workers, make_user):
    """The GM's and directors' overdue panel is kept by each worker: a new assignment, a completion, a
    renamed course or rep, a rep moved to another team or deactivated are seen by both workers at once."""
    from portal.core.cache import bump

    bump(db.session.connection(), "training_overdue")  # as a migrated database has it
    db.session.commit()
    course, _ = make_course(world.director_a, title="Late course", quiz=False, lessons=1, gift_source="")
    workers = {role: two_workers(user) for role, user in (("gm", world.gm), ("director", world.director_a))}

    def panels(role: str) -> list[str]:
        return panel_on_each(workers[role], "training.overdue")

    assert all("No overdue training." in html for role in workers for html in panels(role))
    assign_to(world.director_a, course, world.rep_a, due_days=-3)
    assert all("Late course" in html and world.rep_a.display_name in html for html in panels("gm"))
    course.title = "Renamed course"
    world.rep_a.display_name = "新名字"
    db.session.commit()
    assert all("Renamed course" in html and "新名字" in html for role in workers for html in panels(role))
    world.rep_a.team_id = world.team_b.id  # moved: no longer the team A director's
    db.session.commit()
    assert all("Renamed course" not in html for html in panels("director"))
    assert all("Renamed course" in html for html in panels("gm"))
    world.rep_a.team_id = world.team_a.id
    db.session.commit()
    assert all("Renamed course" in html for html in panels("director"))
    world.rep_a.active = False
    db.session.commit()
    assert all("Renamed course" not in html for html in panels("gm"))
    world.rep_a.active = True
    db.session.commit()
    db.session.add(Completion(user_id=world.rep_a.id, team_id=world.team_a.id, code="DONE-LATE", course_id=course.id))
    db.session.commit()
    assert all("No overdue training." in html for role in workers for html in panels(role))
