import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..authz import ANYONE, SIGNED_IN, policy
from ..extensions import limiter
from ..security import safe_next
from . import bp
from .forms import ChangePasswordForm, LoginForm
from .services import authenticate, change_own_password, sign_out_everywhere


def _account_key() -> str:
    return "login-account:" + (request.form.get("username") or "").strip().lower()


def _failed(response) -> bool:
    # A successful sign-in redirects; only the attempts that failed count against the limits.
    return response.status_code != 302


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


@bp.route("/login", methods=["GET", "POST"])
@policy(ANYONE)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
def login():
    """Sign in; ?next= brings the user back to the page they asked for, on this site only."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            locale = session.get("locale")
            session.clear()  # a fresh session: nothing planted before sign-in survives
            session.permanent = True
            login_user(user)
            session["auth_at"] = time.time()
            if locale and not user.locale:
                user.locale = locale
            if user.locale:  # the cookie knows the language too: the 503 page has no database to ask
                session["locale"] = user.locale
            if user.must_change_password:
                flash(_("Your password was reset. Choose a new one to continue."), "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(form.next.data) or url_for("home.index"))
        form.password.errors.append(_("Wrong username or password, or the account is deactivated."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@policy(SIGNED_IN)
def logout():
    """Sign out here and everywhere: earlier copies of the session cookie stop working."""
    sign_out_everywhere(current_user)
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@policy(SIGNED_IN)
@login_required
def change_password():
    form = ChangePasswordForm(username=current_user.username)
    if form.validate_on_submit():
        if change_own_password(current_user, form.current_password.data, form.new_password.data):
            # The token rotated: sign this browser in again under the new one.
            login_user(current_user._get_current_object())
            session["auth_at"] = time.time()
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("home.index"))
        form.current_password.errors.append(_("The current password is wrong."))
    return render_template("auth/change_password.html", form=form)
