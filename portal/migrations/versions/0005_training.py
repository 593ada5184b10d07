"""training: courses, lessons, question bank, quizzes, attempts, assignments, completions

Revision ID: 0005_training
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa

import portal.core.types


revision = '0005_training'
down_revision = "0004_comms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('training_course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('open_to_all', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_training_course_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_training_course_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_course'))
    )
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_course_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_course_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_course_published'), ['published'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_course_team_id'), ['team_id'], unique=False)

    op.create_table('training_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user.id'], name=op.f('fk_training_assignment_assigned_by_id_user')),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_assignment_course_id_training_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_training_assignment_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_training_assignment_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_assignment'))
    )
    with op.batch_alter_table('training_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_assignment_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_user_id'), ['user_id'], unique=False)

    op.create_table('training_completion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('completed_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('score', portal.core.types.Money(), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_completion_course_id_training_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_training_completion_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_training_completion_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_completion')),
    sa.UniqueConstraint('code', name=op.f('uq_training_completion_code')),
    sa.UniqueConstraint('user_id', 'course_id', name='uq_training_completion_user_course')
    )
    with op.batch_alter_table('training_completion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_completion_completed_at'), ['completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_completion_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_completion_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_completion_user_id'), ['user_id'], unique=False)

    op.create_table('training_course_tag',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_course_tag_course_id_training_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'tag', name=op.f('pk_training_course_tag'))
    )
    with op.batch_alter_table('training_course_tag', schema=None) as batch_op:
        batch_op.create_index('ix_training_course_tag_tag', ['tag'], unique=False)

    op.create_table('training_lesson',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_lesson_course_id_training_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_lesson'))
    )
    with op.batch_alter_table('training_lesson', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_lesson_course_id'), ['course_id'], unique=False)

    op.create_table('training_prerequisite',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('required_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_prerequisite_course_id_training_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['required_id'], ['training_course.id'], name=op.f('fk_training_prerequisite_required_id_training_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'required_id', name=op.f('pk_training_prerequisite'))
    )
    op.create_table('training_question_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_question_category_course_id_training_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_question_category')),
    sa.UniqueConstraint('course_id', 'name', name='uq_training_question_category_course_name')
    )
    with op.batch_alter_table('training_question_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_question_category_course_id'), ['course_id'], unique=False)

    op.create_table('training_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_file_course_id_training_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['training_lesson.id'], name=op.f('fk_training_file_lesson_id_training_lesson'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_training_file_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_file'))
    )
    with op.batch_alter_table('training_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_file_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_file_lesson_id'), ['lesson_id'], unique=False)

    op.create_table('training_lesson_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('done_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_lesson_progress_course_id_training_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['training_lesson.id'], name=op.f('fk_training_lesson_progress_lesson_id_training_lesson'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_training_lesson_progress_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_lesson_progress')),
    sa.UniqueConstraint('user_id', 'lesson_id', name='uq_training_lesson_progress_user_lesson')
    )
    with op.batch_alter_table('training_lesson_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_lesson_progress_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_lesson_progress_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_lesson_progress_user_id'), ['user_id'], unique=False)

    op.create_table('training_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('qtype', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('general_feedback', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('case_sensitive', sa.Boolean(), nullable=False),
    sa.Column('mark', portal.core.types.Money(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['training_question_category.id'], name=op.f('fk_training_question_category_id_training_question_category'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_question_course_id_training_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_question'))
    )
    with op.batch_alter_table('training_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_question_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_question_course_id'), ['course_id'], unique=False)

    op.create_table('training_quiz',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=True),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('random_category_id', sa.Integer(), nullable=True),
    sa.Column('random_count', sa.Integer(), nullable=False),
    sa.Column('shuffle_questions', sa.Boolean(), nullable=False),
    sa.Column('shuffle_answers', sa.Boolean(), nullable=False),
    sa.Column('per_page', sa.Integer(), nullable=False),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=True),
    sa.Column('open_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('close_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('max_attempts', sa.Integer(), nullable=True),
    sa.Column('wait_minutes', sa.Integer(), nullable=False),
    sa.Column('pass_mark', portal.core.types.Money(), nullable=False),
    sa.Column('grading_method', sa.String(length=10), nullable=False),
    sa.Column('review_answers', sa.Boolean(), nullable=False),
    sa.Column('review_correct', sa.Boolean(), nullable=False),
    sa.Column('review_feedback', sa.Boolean(), nullable=False),
    sa.Column('review_score', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_quiz_course_id_training_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['random_category_id'], ['training_question_category.id'], name=op.f('fk_training_quiz_random_category_id_training_question_category'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_quiz'))
    )
    with op.batch_alter_table('training_quiz', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_quiz_course_id'), ['course_id'], unique=False)

    op.create_table('training_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('marks', portal.core.types.Money(), nullable=True),
    sa.Column('max_marks', portal.core.types.Money(), nullable=False),
    sa.Column('score', portal.core.types.Money(), nullable=True),
    sa.Column('layout', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['training_quiz.id'], name=op.f('fk_training_attempt_quiz_id_training_quiz'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_training_attempt_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_training_attempt_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_attempt')),
    sa.UniqueConstraint('quiz_id', 'user_id', 'number', name='uq_training_attempt_quiz_user_number')
    )
    with op.batch_alter_table('training_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_training_attempt_quiz_user', ['quiz_id', 'user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_attempt_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_attempt_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_attempt_user_id'), ['user_id'], unique=False)

    op.create_table('training_quiz_question',
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['training_question.id'], name=op.f('fk_training_quiz_question_question_id_training_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quiz_id'], ['training_quiz.id'], name=op.f('fk_training_quiz_question_quiz_id_training_quiz'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('quiz_id', 'question_id', name=op.f('pk_training_quiz_question'))
    )
    op.create_table('training_attempt_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('saved_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('max_mark', portal.core.types.Money(), nullable=False),
    sa.Column('mark', portal.core.types.Money(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['training_attempt.id'], name=op.f('fk_training_attempt_answer_attempt_id_training_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['training_question.id'], name=op.f('fk_training_attempt_answer_question_id_training_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_attempt_answer')),
    sa.UniqueConstraint('attempt_id', 'slot', name='uq_training_attempt_answer_attempt_slot')
    )
    with op.batch_alter_table('training_attempt_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_attempt_answer_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_attempt_answer_question_id'), ['question_id'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    op.drop_table('training_attempt_answer')
    op.drop_table('training_quiz_question')
    op.drop_table('training_attempt')
    op.drop_table('training_quiz')
    op.drop_table('training_question')
    op.drop_table('training_lesson_progress')
    op.drop_table('training_file')
    op.drop_table('training_question_category')
    op.drop_table('training_prerequisite')
    op.drop_table('training_lesson')
    op.drop_table('training_course_tag')
    op.drop_table('training_completion')
    op.drop_table('training_assignment')
    op.drop_table('training_course')
