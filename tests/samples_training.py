"""Training records for the route walk (a course of team A assigned to world.rep_a) and test helpers."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from portal.core.db import db, utcnow
from portal.core.uploads import StoredFile
from portal.training import services
from portal.training.models import Assignment, Question

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

SAMPLE_GIFT = """$CATEGORY: Basics

::Colour::What is between orange and green? {=yellow #right ~red #no, yellow ~blue #no, yellow}

::Sum::1 + 1 = 2 {T}

::Pick two::Which are fruit? {~%50%apple ~%50%pear ~%-100%stone}
"""


def make_course(director, *, team_id="own", published=True, open_to_all=False, gift_source=SAMPLE_GIFT,
                lessons=2, title="Consultative selling", quiz=True, **quiz_kw):
    """A course owned by ``director`` with lessons, a bank from GIFT and a fixed quiz of the whole bank."""
    course = services.save_course(director, None, title=title, summary="About *selling*", category="Skills",
                                  team_id=director.team_id if team_id == "own" else team_id, published=published,
                                  open_to_all=open_to_all, tags=["电话拜访", "visits"])
    for n in range(lessons):
        services.save_lesson(director, course, None, title=f"Lesson {n + 1}", body=f"Text of lesson **{n + 1}**",
                             minutes=5)
    made, errors = services.import_gift(director, course, gift_source)
    assert not errors, errors
    quiz_obj = None
    if quiz:
        settings = {"title": "Check", "mode": "fixed", "question_ids": [q.id for q in made], "pass_mark": Decimal("60"),
                    "per_page": 5, "shuffle_answers": True, "review_correct": False}
        settings.update(quiz_kw)
        quiz_obj = services.save_quiz(director, course, None, **settings)
    db.session.commit()
    return course, quiz_obj


def assign_to(director, course, rep, due_days=7):
    db.session.add(Assignment(course_id=course.id, user_id=rep.id, team_id=rep.team_id, assigned_by_id=director.id,
                              due_on=(utcnow() + timedelta(days=due_days)).date()))
    db.session.commit()


def right_answers(attempt) -> dict[int, dict]:
    """The full-marks response for every slot of an attempt (the tests' answer key)."""
    out = {}
    for n, slot in enumerate(attempt.layout):
        q = db.session.get(Question, slot["q"])
        d = q.data
        if q.qtype == "single":
            out[n] = {"choice": max(range(len(d["answers"])), key=lambda i: Decimal(d["answers"][i]["fraction"]))}
        elif q.qtype == "multi":
            out[n] = {"choices": [i for i, a in enumerate(d["answers"]) if Decimal(a["fraction"]) > 0]}
        elif q.qtype == "truefalse":
            out[n] = {"value": "true" if d["correct"] else "false"}
        elif q.qtype in ("short",):
            out[n] = {"text": d["answers"][0]["text"].replace("*", "")}
        elif q.qtype == "numerical":
            a = d["answers"][0]
            out[n] = {"text": a["min"] if a["kind"] == "range" else a["value"]}
        elif q.qtype == "matching":
            out[n] = {"pairs": {str(i): p["a"] for i, p in enumerate(d["pairs"])}}
        else:
            out[n] = {"text": "An essay."}
    return out


def _world_course(world):
    if getattr(world, "_training", None) is None:
        course, quiz = make_course(world.director_a)
        assign_to(world.director_a, course, world.rep_a)
        attempt = services.start_attempt(world.rep_a, quiz)
        services.save_answers(world.rep_a, attempt, right_answers(attempt))
        services.finish_attempt(attempt)
        lesson = course.lessons[0]
        # The walk does not close responses: a row whose bytes are not on disk answers 404 instead of
        # leaving a file handle open (downloads are tested in test_training_access.py).
        stored = StoredFile(key="walk/none.png", original_name="chart.png", content_type="image/png", size=8)
        f = services.add_file(world.director_a, course, lesson, stored)
        for lesson in course.lessons:
            services.mark_lesson_done(world.rep_a, lesson)
        completion = services.check_completion(world.rep_a, course)
        question = db.session.get(Question, attempt.layout[0]["q"])
        assignment = db.session.query(Assignment).filter_by(course_id=course.id).first()
        db.session.commit()
        world._training = {"course_id": course.id, "quiz_id": quiz.id, "attempt_id": attempt.id,
                           "lesson_id": lesson.id, "file_id": f.id, "question_id": question.id,
                           "completion_id": completion.id, "assignment_id": assignment.id}
    return world._training


FACTORIES = {
    name: (lambda n: lambda world: _world_course(world)[n])(name)
    for name in ("course_id", "quiz_id", "attempt_id", "lesson_id", "file_id", "question_id", "completion_id",
                 "assignment_id")
}
