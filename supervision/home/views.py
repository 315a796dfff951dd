from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from supervision import permissions
from supervision.extensions import db
from supervision.matters import queries
from supervision.web import light_helpers

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    todo = queries.todo_for(db.session, current_user) if permissions.can_list_matters(current_user) else []
    return render_template("home/index.html", user=current_user, todo=todo, **light_helpers())
