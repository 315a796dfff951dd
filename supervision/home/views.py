from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from supervision import permissions
from supervision.extensions import db
from supervision.matters import queries
from supervision.web import light_helpers, render_once, viewer

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    user = viewer()

    def todo() -> str:  # the viewer's to-do lists, read and rendered once per business write (web.render_once)
        groups = queries.todo_for(db.session, user) if permissions.can_list_matters(user) else []
        return render_template("home/_todo.html", todo=groups, **light_helpers())

    return render_template("home/index.html", user=user, todo=render_once("home.todo", render=todo))
