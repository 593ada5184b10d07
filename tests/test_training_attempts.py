"""Attempts: the server-side clock, attempt limits, saving, submitting once, review rules, speed."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import home_html, sign_in
from samples_training import PNG, assign_to, make_course, right_answers
from sqlalchemy import func, insert, select

from portal.core.db import db, utcnow
from portal.core.errors import ServiceError
from portal.training import services
from portal.training.models import (
    Attempt,
    AttemptAnswer,
    Completion,
    Question,
    QuestionCategory,
    Quiz,
    TrainingFile,
)

SECRET_GIFT = """::Colour::What is between orange and green? {=yellow #SECRET-RIGHT ~red #SECRET-WRONG ~blue
####SECRET-GENERAL}

::Word::The magic word is {=abracadabra #SECRET-SHORT}.

::Tell::Describe a visit. {}
"""


@pytest.fixture(autouse=True)
def _request(app):
    """Service calls below raise translated messages: they need a request's locale."""
    with app.test_request_context():
        yield


@pytest.fixture
def setup(world):
    course, quiz = make_course(world.director_a, time_limit_minutes=10, max_attempts=2)
    assign_to(world.director_a, course, world.rep_a)
    return world, course, quiz


def test_a_reload_or_second_start_resumes_the_same_attempt_and_clock(setup):
    world, course, quiz = setup
    t0 = utcnow() - timedelta(minutes=3)
    first = services.start_attempt(world.rep_a, quiz, now=t0)
    again = services.start_attempt(world.rep_a, quiz, now=t0 + timedelta(minutes=2))
    assert again.id == first.id
    assert again.deadline == t0 + timedelta(minutes=10)
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_attempt_limit_counts_every_started_attempt(setup):
    world, course, quiz = setup
    for _ in range(2):
        a = services.start_attempt(world.rep_a, quiz)
        services.finish_attempt(a)
    with pytest.raises(ServiceError, match="全部 2 次"):
        services.start_attempt(world.rep_a, quiz)


def test_wait_between_attempts(setup):
    world, course, quiz = setup
    quiz.wait_minutes, quiz.max_attempts = 30, None
    t0 = utcnow() - timedelta(minutes=20)
    a = services.start_attempt(world.rep_a, quiz, now=t0)
    services.finish_attempt(a, now=t0 + timedelta(minutes=5))
    with pytest.raises(ServiceError):
        services.start_attempt(world.rep_a, quiz)  # 15 minutes after: must wait 30
    assert services.start_attempt(world.rep_a, quiz, now=t0 + timedelta(minutes=36)).number == 2


def test_open_and_close_dates(setup):
    world, course, quiz = setup
    now = utcnow()
    quiz.open_at = now + timedelta(hours=1)
    with pytest.raises(ServiceError, match="开放"):
        services.start_attempt(world.rep_a, quiz, now=now)
    quiz.open_at, quiz.close_at = now - timedelta(hours=2), now - timedelta(minutes=1)
    with pytest.raises(ServiceError, match="已关闭"):
        services.start_attempt(world.rep_a, quiz, now=now)


def test_the_close_date_caps_the_deadline(setup):
    world, course, quiz = setup
    now = utcnow()
    quiz.close_at = now + timedelta(minutes=4)
    assert services.start_attempt(world.rep_a, quiz, now=now).deadline == quiz.close_at


def test_past_the_deadline_saving_is_refused_and_the_saved_answers_are_graded(setup):
    world, course, quiz = setup
    t0 = utcnow() - timedelta(minutes=30)
    attempt = services.start_attempt(world.rep_a, quiz, now=t0)
    key = right_answers(attempt)
    services.save_answers(world.rep_a, attempt, {0: key[0]}, now=t0 + timedelta(minutes=5))  # 1 of 3 in time
    with pytest.raises(ServiceError, match="时间到"):
        services.save_answers(world.rep_a, attempt, key, now=t0 + timedelta(minutes=11))
    db.session.refresh(attempt)
    assert attempt.state == "finished"
    assert attempt.finished_at == attempt.deadline
    assert attempt.marks == Decimal("1.00") and attempt.max_marks == Decimal("3.00")
    assert attempt.score == Decimal("33.33")


def test_an_expired_attempt_is_closed_when_the_rep_comes_back(setup, client):
    world, course, quiz = setup
    attempt = services.start_attempt(world.rep_a, quiz, now=utcnow() - timedelta(minutes=11))
    db.session.commit()
    sign_in(client, world.rep_a)
    resp = client.get(f"/training/attempts/{attempt.id}")
    assert resp.status_code == 200
    db.session.refresh(attempt)
    assert attempt.state == "finished" and attempt.score == Decimal("0.00")
    # ... and starting again is a new attempt, not a fresh clock on the old one.
    resp = client.post(f"/training/quizzes/{quiz.id}/start")
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count(Attempt.id))) == 2


def test_double_submit_grades_once(setup, client):
    world, course, quiz = setup
    attempt = services.start_attempt(world.rep_a, quiz)
    services.save_answers(world.rep_a, attempt, right_answers(attempt))
    db.session.commit()
    sign_in(client, world.rep_a)
    assert client.post(f"/training/attempts/{attempt.id}/submit").status_code == 302
    db.session.refresh(attempt)
    first_finish, score = attempt.finished_at, attempt.score
    assert score == Decimal("100.00")
    assert client.post(f"/training/attempts/{attempt.id}/submit").status_code == 302
    assert services.finish_attempt(attempt) is False
    db.session.refresh(attempt)
    assert (attempt.finished_at, attempt.score) == (first_finish, score)
    # Saving into a submitted attempt changes nothing either.
    before = db.session.scalar(select(AttemptAnswer.response).where(AttemptAnswer.attempt_id == attempt.id,
                                                                    AttemptAnswer.slot == 0))
    resp = client.post(f"/training/attempts/{attempt.id}/save", data={"page": "0", "r0": "3"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(AttemptAnswer.response).where(AttemptAnswer.attempt_id == attempt.id,
                                                                  AttemptAnswer.slot == 0)) == before


def test_saving_over_http_and_submitting_from_the_last_page(world, client):
    course, quiz = make_course(world.director_a, per_page=2)
    assign_to(world.director_a, course, world.rep_a)
    sign_in(client, world.rep_a)
    resp = client.post(f"/training/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt))
    assert resp.headers["Location"].endswith(f"/training/attempts/{attempt.id}")
    key = right_answers(attempt)

    def form(slot):
        r = key[slot]
        if "choice" in r:
            return {f"r{slot}": str(r["choice"])}
        if "choices" in r:
            return {f"r{slot}": [str(c) for c in r["choices"]]}
        return {f"r{slot}": r["value"]}

    page0 = {"page": "0", **form(0), **form(1)}
    resp = client.post(f"/training/attempts/{attempt.id}/save", data=page0, headers={"HX-Request": "true"})
    assert resp.status_code == 200
    # A reload (or the rep coming back later) opens the page with the first unanswered question.
    assert 'name="page" value="1"' in client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert "已保存" in resp.get_data(as_text=True)  # the fragment htmx puts in #save-status
    resp = client.post(f"/training/attempts/{attempt.id}/save", data={"page": "1", **form(2), "finish": "1"})
    assert resp.status_code == 302
    db.session.refresh(attempt)
    assert attempt.state == "finished" and attempt.score == Decimal("100.00")


def test_a_running_attempt_never_shows_right_answers_or_feedback(world, client):
    course, quiz = make_course(world.director_a, gift_source=SECRET_GIFT, review_correct=False,
                               review_feedback=False)
    assign_to(world.director_a, course, world.rep_a)
    sign_in(client, world.rep_a)
    client.post(f"/training/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt))
    html = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert "What is between orange and green?" in html
    for secret in ("SECRET", "abracadabra", "fraction", "100%", "correct"):
        assert secret not in html, secret
    # The review hides what the quiz does not allow ...
    client.post(f"/training/attempts/{attempt.id}/submit")
    html = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert "SECRET" not in html and "abracadabra" not in html
    # ... while the director sees everything.
    sign_in(client, world.director_a)
    html = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert "SECRET-GENERAL" in html and "abracadabra" in html


def test_essays_wait_for_the_director_then_count(world, client):
    course, quiz = make_course(world.director_a, gift_source=SECRET_GIFT, lessons=0)
    assign_to(world.director_a, course, world.rep_a)
    attempt = services.start_attempt(world.rep_a, quiz)
    key = right_answers(attempt)
    services.save_answers(world.rep_a, attempt, key)
    services.finish_attempt(attempt)
    assert attempt.state == "needs_grading"
    assert db.session.scalar(select(func.count(Completion.id))) == 0
    db.session.commit()
    essay_slot = next(n for n, r in key.items() if r == {"text": "An essay."})
    sign_in(client, world.rep_a)
    assert client.get(f"/training/attempts/{attempt.id}/grade").status_code == 403
    sign_in(client, world.director_b)
    assert client.post(f"/training/attempts/{attempt.id}/grade", data={f"mark_{essay_slot}": "1"}).status_code == 404
    sign_in(client, world.director_a)
    assert f"/training/attempts/{attempt.id}/grade" in home_html(client)  # the home panel
    resp = client.post(f"/training/attempts/{attempt.id}/grade", data={f"mark_{essay_slot}": "5"})
    assert resp.status_code == 200  # above the question's mark: refused, shown again
    resp = client.post(f"/training/attempts/{attempt.id}/grade",
                       data={f"mark_{essay_slot}": "0.5", f"comment_{essay_slot}": "Good start"})
    assert resp.status_code == 302
    db.session.refresh(attempt)
    # 1 + 1 + 0.5 of 3 marks = 83.33%
    assert attempt.state == "finished" and attempt.score == Decimal("83.33")
    assert db.session.scalar(select(func.count(Completion.id))) == 1


def test_random_draws_differ_between_reps_and_avoid_repeats(world, make_user):
    source = "\n\n".join(f"$CATEGORY: Pool\n\n::Q{n}::Question {n}? {{T}}" for n in range(9))
    course, _ = make_course(world.director_a, gift_source=source, quiz=False, lessons=0)
    cat = db.session.scalar(select(QuestionCategory).where(QuestionCategory.course_id == course.id))
    quiz = services.save_quiz(world.director_a, course, None, title="Random", mode="random",
                              random_category_id=cat.id, random_count=3, pass_mark=Decimal("60"))
    reps = [world.rep_a] + [make_user("rep", world.team_a) for _ in range(4)]
    draws = []
    for rep in reps:
        assign_to(world.director_a, course, rep)
        a = services.start_attempt(rep, quiz)
        draws.append(tuple(sorted(s["q"] for s in a.layout)))
        services.finish_attempt(a)
    assert len(set(draws)) > 1
    seen = set(draws[0])
    for _ in range(2):  # rep_a's attempts 2 and 3 take the six questions not seen yet
        a = services.start_attempt(world.rep_a, quiz)
        ids = {s["q"] for s in a.layout}
        assert not ids & seen
        seen |= ids
        services.finish_attempt(a)
    assert len(seen) == 9
    a = services.start_attempt(world.rep_a, quiz)  # the bank is used up: repeats allowed now
    assert len(a.layout) == 3


def test_shuffled_answers_are_kept_per_attempt(setup):
    world, course, quiz = setup
    a = services.start_attempt(world.rep_a, quiz)
    assert all(sorted(s["order"]) == list(range(len(s["order"]))) for s in a.layout if "order" in s)


def _grow(world, course, quiz, n_questions=500, n_attempts=1000):
    """Make the bank 500 questions bigger and give the quiz 1,000 past attempts by another rep."""
    rows = [{"course_id": course.id, "qtype": "single", "title": f"Q{n}", "text": f"Question {n}",
             "data": {"answers": [{"text": "a", "fraction": "100", "feedback": ""},
                                  {"text": "b", "fraction": "0", "feedback": ""}]},
             "case_sensitive": False, "mark": Decimal("1.00"), "created_at": utcnow()} for n in range(n_questions)]
    db.session.execute(insert(Question), rows)
    ids = list(db.session.scalars(select(Question.id).where(Question.course_id == course.id)))
    now = utcnow()
    attempts = [{"quiz_id": quiz.id, "user_id": world.rep_a2.id, "team_id": world.team_a.id, "number": n + 1,
                 "state": "finished", "started_at": now - timedelta(days=2), "finished_at": now - timedelta(days=1),
                 "max_marks": Decimal("30.00"), "marks": Decimal("15.00"), "score": Decimal("50.00"),
                 "layout": [{"q": i, "order": [0, 1]} for i in ids[:30]]} for n in range(n_attempts)]
    db.session.execute(insert(Attempt), attempts)
    db.session.commit()
    assert db.session.scalar(select(func.count(Question.id))) >= 500
    assert db.session.scalar(select(func.count(Attempt.id))) > 1000


def test_attempt_page_and_saves_stay_flat_with_a_big_bank_and_history(world, client, count_queries):
    course, quiz = make_course(world.director_a, per_page=10)
    assign_to(world.director_a, course, world.rep_a)
    sign_in(client, world.rep_a)
    client.post(f"/training/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == world.rep_a.id))

    def measure():
        db.session.expire_all()  # as in a fresh request: nothing already loaded by the test
        with count_queries() as page_q:
            assert client.get(f"/training/attempts/{attempt.id}").status_code == 200
        with count_queries() as save_q:
            resp = client.post(f"/training/attempts/{attempt.id}/save", data={"page": "0", "r0": "0", "r1": "1"},
                               headers={"HX-Request": "true"})
            assert resp.status_code == 200
        return page_q.n, save_q.n

    small = measure()
    _grow(world, course, quiz)
    big = measure()
    assert big == small
    assert small[0] <= 14 and small[1] <= 20, small


def test_the_attempt_page_counts_down_from_the_server_deadline(setup, client):
    world, course, quiz = setup
    attempt = services.start_attempt(world.rep_a, quiz, now=utcnow() - timedelta(minutes=4))
    db.session.commit()
    sign_in(client, world.rep_a)
    html = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    left = int(re.search(r'data-seconds-left="(\d+)"', html).group(1))
    assert 355 <= left <= 360
    assert "<script>" not in html and "style=" not in html


def test_two_simultaneous_submits_grade_once(setup, app):
    """Two tabs press submit at the same moment: one request grades, the other finds it done."""
    import threading

    world, course, quiz = setup
    for lesson in course.lessons:
        services.mark_lesson_done(world.rep_a, lesson)
    attempt = services.start_attempt(world.rep_a, quiz)
    services.save_answers(world.rep_a, attempt, right_answers(attempt))
    db.session.commit()
    url = f"/training/attempts/{attempt.id}/submit"
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        sign_in(c, world.rep_a)
    barrier = threading.Barrier(2)
    statuses = []

    def submit(c):
        barrier.wait()
        statuses.append(c.post(url).status_code)

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [302, 302]
    flashed = []
    for c in clients:
        with c.session_transaction() as sess:
            flashed += [m for _cat, m in sess.get("_flashes", [])]
    assert flashed.count("已交卷。") == 1
    db.session.rollback()  # end this thread's read snapshot, taken before the two submits
    assert db.session.get(Attempt, attempt.id).score == Decimal("100.00")
    assert db.session.scalar(select(func.count(Completion.id))) == 1


def test_images_in_question_text_reach_the_reps_taking_the_quiz(world, client):
    course, _ = make_course(world.director_a, quiz=False)
    sign_in(client, world.director_a)
    resp = client.post(f"/training/courses/{course.id}/files", data={"file": (io.BytesIO(PNG), "chart.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    image = db.session.scalar(select(TrainingFile).where(TrainingFile.lesson_id.is_(None)))
    resp = client.post(f"/training/courses/{course.id}/questions/new",
                       data={"source": f"Look: ![chart](/training/files/{image.id}) Which bar is tallest? {{=A ~B}}",
                             "mark": "1"})
    assert resp.status_code == 302
    question = db.session.scalar(select(Question).where(Question.text.contains("chart")))
    services.save_quiz(world.director_a, course, None, title="Pictures", mode="fixed", question_ids=[question.id],
                       pass_mark=Decimal("50"))
    assign_to(world.director_a, course, world.rep_a)
    sign_in(client, world.rep_a)
    quiz_id = db.session.scalar(select(Quiz.id).where(Quiz.course_id == course.id))
    client.post(f"/training/quizzes/{quiz_id}/start")
    attempt = db.session.scalar(select(Attempt))
    html = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert f'<img src="/training/files/{image.id}" alt="chart"' in html
    resp = client.get(f"/training/files/{image.id}")
    assert resp.status_code == 200 and resp.data == PNG
    resp.close()
    sign_in(client, world.rep_b)
    assert client.get(f"/training/files/{image.id}").status_code == 404


def test_editing_the_bank_changes_neither_running_nor_finished_attempts(setup):
    world, course, quiz = setup
    attempt = services.start_attempt(world.rep_a, quiz)
    key = right_answers(attempt)
    colour_slot = next(n for n, s in enumerate(attempt.layout)
                       if db.session.get(Question, s["q"]).title == "Colour")
    question = db.session.get(Question, attempt.layout[colour_slot]["q"])
    # The director changes the key mid-attempt: "red" is now the right answer.
    services.save_question(world.director_a, course, question, source="::Colour:: Which? {~yellow =red ~blue}",
                           category=None, mark=1, case_sensitive=False)
    services.save_answers(world.rep_a, attempt, key)
    services.finish_attempt(attempt)
    assert attempt.score == Decimal("100.00")  # graded on the version the rep was shown
    row = db.session.scalar(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id,
                                                        AttemptAnswer.slot == colour_slot))
    assert row.version.data["answers"][0]["text"] == "yellow"
    assert row.version.text == "What is between orange and green?"
