from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..authz import ADMIN, guard_blueprint
from ..core import settings as company_settings
from . import bp

guard_blueprint(bp, ADMIN)


class CompanySettingsForm(FlaskForm):
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=120)])
    default_locale = SelectField(_l("Default language"), choices=[("zh_CN", "简体中文"), ("en", "English")],
                                 description=_l("Used on the sign-in page and for people who chose none."))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = CompanySettingsForm(data={k: company_settings.get(k) for k in ("company_name", "default_locale")})
    if form.validate_on_submit():
        company_settings.put("company_name", form.company_name.data.strip())
        company_settings.put("default_locale", form.default_locale.data)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)
