"""The one request pipeline of writing views (supervision/pipeline.py): validate → the one service →
commit once → flash → redirect, or the page again with the input kept; a committed write is never
reported as failed."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages, render_template_string
from sqlalchemy import event, select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import StringField

from supervision.errors import WorkflowError
from supervision.extensions import db
from supervision.forms import BaseForm
from supervision.models.org import Department, DepartmentKind
from supervision.pipeline import submit

PAGE = "{% for m in get_flashed_messages() %}<p>{{ m }}</p>{% endfor %}<input value=\"{{ form.name.data or '' }}\">"


class NameForm(BaseForm):
    name = StringField("名称")


def add_department(name: str) -> Department:
    if name == "refuse":
        raise WorkflowError("当前状态不能办理此事项。")
    if name == "stale":
        raise StaleDataError("someone else")
    department = Department(code=f"P{len(name)}", name=name, kind=DepartmentKind.CITY, active=True)
    db.session.add(department)
    return department


@pytest.fixture
def pipeline_client(app):
    def view():
        form = NameForm()
        return submit(form, lambda: add_department(form.name.data), success=lambda d: f"已保存 {d.name}。",
                      then="/done", otherwise=lambda: render_template_string(PAGE, form=form,
                                                                             get_flashed_messages=get_flashed_messages))

    def failing_after_commit():
        form = NameForm()

        def then(_):
            raise RuntimeError("the page after the write breaks")
        return submit(form, lambda: add_department(form.name.data), success=None, then=then, otherwise="/x")

    app.add_url_rule("/pipeline-test", "pipeline_test", view, methods=["GET", "POST"])
    app.add_url_rule("/pipeline-broken", "pipeline_broken", failing_after_commit, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app.test_client()


def names(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(Department.name)))


def test_a_get_shows_the_page(pipeline_client):
    assert pipeline_client.get("/pipeline-test").status_code == 200


def test_a_valid_write_is_committed_flashed_and_redirected(pipeline_client, session):
    response = pipeline_client.post("/pipeline-test", data={"name": "市审计局"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/done")
    assert "市审计局" in names(session)
    with pipeline_client.session_transaction() as flask_session:
        assert ("success", "已保存 市审计局。") in flask_session["_flashes"]


def test_a_refusal_rolls_back_and_shows_the_page_again_with_the_input_and_the_reason(pipeline_client, session):
    response = pipeline_client.post("/pipeline-test", data={"name": "refuse"})
    assert response.status_code == 400
    assert "当前状态不能办理此事项。" in response.text and 'value="refuse"' in response.text
    assert "refuse" not in names(session)


def test_a_concurrent_change_is_told_in_chinese(pipeline_client):
    response = pipeline_client.post("/pipeline-test", data={"name": "stale"})
    assert response.status_code == 400 and "已被他人修改" in response.text


def test_a_form_without_its_csrf_token_writes_nothing(pipeline_client, session):
    response = pipeline_client.post("/pipeline-test", data={"name": "市民政局"}, csrf=False)
    assert response.status_code == 400
    assert "市民政局" not in names(session)


def test_an_error_after_the_commit_never_says_the_write_failed(pipeline_client, session):
    response = pipeline_client.post("/pipeline-broken", data={"name": "市财政局"})
    assert response.status_code == 500
    assert "已经保存" in response.text and "未完成" not in response.text
    assert "市财政局" in names(session)


def test_a_failing_after_commit_listener_is_not_reported_as_a_failed_write(pipeline_client, session):
    def broken_listener(_session):
        raise RuntimeError("an after-commit side effect failed")

    event.listen(db.session, "after_commit", broken_listener)
    try:
        response = pipeline_client.post("/pipeline-test", data={"name": "市水务局"})
    finally:
        event.remove(db.session, "after_commit", broken_listener)
    assert response.status_code == 500 and "已经保存" in response.text
    assert "市水务局" in names(session)


def test_bookkeeping_committed_before_a_failure_does_not_pass_for_a_saved_write(app, session):
    """A captcha used up or a look audited commits, then the real write fails: the page must not say saved."""
    from supervision.pipeline import committed, perform

    def view():
        perform(lambda: add_department("市统计局"), bookkeeping=True)
        assert not committed()
        raise RuntimeError("the real write fails")

    app.add_url_rule("/pipeline-bookkeeping", "pipeline_bookkeeping", view, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().post("/pipeline-bookkeeping", data={})
    assert response.status_code == 500 and "已经保存" not in response.text
