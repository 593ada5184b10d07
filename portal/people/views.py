from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..authz import ADMIN, DIRECTOR, OVERSEERS, SIGNED_IN, can_manage_user, can_see_user, policy, visible_users
from ..core.db import db
from ..core.errors import ServiceError
from ..core.pagination import paginate
from . import bp, services
from .forms import ROLE_LABELS, DecisionForm, EditUserForm, ProfileForm, TeamForm, TransferForm, UserForm
from .models import Team, TransferRequest, User
from .profile import SECTIONS


def _get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_see_user(current_user, user):
        abort(404)
    return user


@bp.route("/")
@policy(DIRECTOR | OVERSEERS)
def index():
    """The people a manager may see, filtered and paginated."""
    stmt = visible_users(current_user).options(joinedload(User.team))
    q = (request.args.get("q") or "").strip()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if request.args.get("role") in ROLE_LABELS:
        stmt = stmt.where(User.role == request.args["role"])
    team_id = request.args.get("team", type=int)
    if team_id:
        stmt = stmt.where(User.team_id == team_id)
    status = request.args.get("status", "active")
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    page = paginate(stmt.order_by(User.team_id, User.role, User.display_name))
    return render_template("people/index.html", page=page, teams=services.teams_assignable_by(current_user),
                           roles=ROLE_LABELS, q=q, status=status)


@bp.route("/<int:user_id>")
@policy(SIGNED_IN)
def profile(user_id: int):
    """A person's page; features add sections to it (the performance archive)."""
    person = _get_user_or_404(user_id)
    return render_template("people/profile.html", person=person, roles=ROLE_LABELS, sections=SECTIONS,
                           can_manage=can_manage_user(current_user, person))


@bp.route("/<int:user_id>/sections/<name>")
@policy(SIGNED_IN)
def profile_section(user_id: int, name: str):
    """One section of the performance archive, loaded by htmx into the profile: each feature's
    figures cost their own few queries, never the whole page's. Empty when the viewer may not see it."""
    person = _get_user_or_404(user_id)
    section = next((s for s in SECTIONS if s.name == name), None)
    if section is None:
        abort(404)
    # the user behind the proxy: sections test the viewer in loops (every team of the tree, every row)
    ctx = section.context(current_user._get_current_object(), person)
    if ctx is None:
        return ""
    return render_template("people/_profile_section.html", section=section, ctx=ctx, person=person)


@bp.route("/new", methods=["GET", "POST"])
@policy(DIRECTOR | ADMIN)
def create():
    form = UserForm(roles=services.roles_assignable_by(current_user),
                    teams=services.teams_assignable_by(current_user))
    if form.validate_on_submit():
        try:
            user, password = services.create_user(
                current_user, username=form.username.data.strip(), display_name=form.display_name.data.strip(),
                role=form.role.data, team_id=form.team_id.data, email=form.email.data, phone=form.phone.data,
                joined_on=form.joined_on.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Account %(name)s created. One-time password: %(pw)s — the user must change it at "
                    "first sign-in.", name=user.username, pw=password), "success")
            return redirect(url_for("people.profile", user_id=user.id))
    return render_template("people/form.html", form=form, person=None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@policy(DIRECTOR | ADMIN)
def edit(user_id: int):
    person = _get_user_or_404(user_id)
    if not can_manage_user(current_user, person):
        abort(403)
    roles = services.roles_assignable_by(current_user)
    if person.role not in roles:
        roles = (person.role, *roles)
    form = EditUserForm(obj=person, roles=roles, teams=services.teams_assignable_by(current_user))
    if request.method == "GET":
        form.team_id.data = person.team_id or 0
    form.username.data = person.username
    if form.validate_on_submit():
        try:
            services.update_user(current_user, person, display_name=form.display_name.data.strip(),
                                 role=form.role.data, team_id=form.team_id.data, email=form.email.data,
                                 phone=form.phone.data, joined_on=form.joined_on.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("people.profile", user_id=person.id))
    return render_template("people/form.html", form=form, person=person)


@bp.route("/<int:user_id>/active", methods=["POST"])
@policy(DIRECTOR | ADMIN)
def set_active(user_id: int):
    """Deactivate (or, for the admin, reactivate) an account."""
    person = _get_user_or_404(user_id)
    active = request.form.get("active") == "1"
    try:
        services.set_active(current_user, person, active)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("Account reactivated.") if active else _("Account deactivated. Its records are kept."), "success")
    return redirect(url_for("people.profile", user_id=person.id))


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@policy(ADMIN)
def reset_password(user_id: int):
    person = _get_user_or_404(user_id)
    password = services.reset_password(current_user, person)
    flash(_("New one-time password for %(name)s: %(pw)s — they must change it at next sign-in.",
            name=person.username, pw=password), "success")
    return redirect(url_for("people.profile", user_id=person.id))


@bp.route("/<int:user_id>/transfer", methods=["GET", "POST"])
@policy(DIRECTOR)
def transfer(user_id: int):
    """A director asks to move one of their reps to another team."""
    person = _get_user_or_404(user_id)
    if not can_manage_user(current_user, person):
        abort(403)
    form = TransferForm()
    form.to_team_id.choices = [(t.id, t.name) for t in db.session.scalars(
        select(Team).where(Team.id != person.team_id).order_by(Team.name))]
    if form.validate_on_submit():
        try:
            services.request_transfer(current_user, person, form.to_team_id.data, form.reason.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Transfer requested. The administrator or general manager will decide."), "success")
            return redirect(url_for("people.profile", user_id=person.id))
    return render_template("people/transfer.html", form=form, person=person)


@bp.route("/transfers")
@policy(DIRECTOR | OVERSEERS)
def transfers():
    stmt = select(TransferRequest).options(
        joinedload(TransferRequest.user), joinedload(TransferRequest.from_team),
        joinedload(TransferRequest.to_team), joinedload(TransferRequest.requested_by))
    if current_user.role == "director":
        stmt = stmt.where(TransferRequest.requested_by_id == current_user.id)
    page = paginate(stmt.order_by(TransferRequest.status.desc(), TransferRequest.created_at.desc()))
    return render_template("people/transfers.html", page=page, form=DecisionForm())


@bp.route("/transfers/<int:req_id>", methods=["POST"])
@policy(OVERSEERS)
def decide_transfer(req_id: int):
    req = db.get_or_404(TransferRequest, req_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            services.decide_transfer(current_user, req, request.form.get("decision") == "approve", form.note.data)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Decision recorded."), "success")
    return redirect(url_for("people.transfers"))


@bp.route("/account", methods=["GET", "POST"])
@policy(SIGNED_IN)
def account():
    """One's own profile settings: name, contact, language, how large amounts are shown."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data.strip()
        current_user.email = form.email.data or None
        current_user.phone = form.phone.data or None
        current_user.locale = form.locale.data
        if form.locale.data:
            session["locale"] = form.locale.data  # read when the database cannot be (the 503 page)
        current_user.money_style = form.money_style.data
        db.session.flush()
        flash(_("Saved."), "success")
        return redirect(url_for("people.account"))
    return render_template("people/account.html", form=form)


# Teams ------------------------------------------------------------------------------------------

@bp.route("/teams")
@policy(OVERSEERS)
def teams():
    counts = dict(db.session.execute(
        select(User.team_id, func.count(User.id)).where(User.active.is_(True)).group_by(User.team_id)).all())
    page = paginate(select(Team).options(joinedload(Team.director)).order_by(Team.name))
    return render_template("people/teams.html", page=page, counts=counts)


def _team_form(team: Team | None) -> TeamForm:
    form = TeamForm(obj=team)
    directors = db.session.scalars(select(User).where(User.role == "director", User.active.is_(True))
                                   .order_by(User.display_name))
    form.director_id.choices = [(0, _("— none —"))] + [(u.id, u.display_name) for u in directors]
    others = db.session.scalars(select(Team).order_by(Team.name))
    form.parent_id.choices = [(0, _("— none —"))] + [(t.id, t.name) for t in others if team is None or t.id != team.id]
    if request.method == "GET" and team is not None:
        form.director_id.data = team.director_id or 0
        form.parent_id.data = team.parent_id or 0
    return form


@bp.route("/teams/new", methods=["GET", "POST"], endpoint="team_create")
@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@policy(ADMIN)
def team_edit(team_id: int | None = None):
    team = db.get_or_404(Team, team_id) if team_id else None
    form = _team_form(team)
    if form.validate_on_submit():
        try:
            services.save_team(current_user, team, name=form.name.data, region=form.region.data,
                               director_id=form.director_id.data, parent_id=form.parent_id.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("people.teams"))
    return render_template("people/team_form.html", form=form, team=team)
