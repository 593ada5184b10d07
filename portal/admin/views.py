from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..authz import ADMIN, guard_blueprint
from ..core import settings as company_settings
from ..core.forms import PortalForm
from . import bp

guard_blueprint(bp, ADMIN)


SCOPE_CHOICES = [
    ("self", _l("Own records (本人)")),
    ("self_and_reports", _l("Own and their reps' records (本人及下属)")),
    ("dept", _l("Their team's records (本部门)")),
    ("dept_and_sub", _l("Their team's and sub-teams' records (本部门及下属)")),
]
FIELDS = {"company_name": "company_name", "default_locale": "default_locale",
          "data_scope_director": "data_scope.director", "data_scope_rep": "data_scope.rep"}


class CompanySettingsForm(PortalForm):
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=120)])
    default_locale = SelectField(_l("Default language"), choices=[("zh_CN", "简体中文"), ("en", "English")],
                                 description=_l("Used on the sign-in page and for people who chose none."))
    data_scope_director = SelectField(_l("What sales directors see"), choices=SCOPE_CHOICES)
    data_scope_rep = SelectField(_l("What sales reps see"), choices=SCOPE_CHOICES,
                                 description=_l("Reps only ever change their own records, whatever they may read."))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = CompanySettingsForm(data={name: company_settings.get(key) for name, key in FIELDS.items()})
    if form.validate_on_submit():
        for name, key in FIELDS.items():
            value = getattr(form, name).data
            company_settings.put(key, value.strip() if isinstance(value, str) else value)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)
