"""The office's side of telling the complainant: record a notice's delivery, a 复查 / 复核 request brought by
letter or visit, and the opinion that answers it. Office staff only (the pages show identity-bearing files)."""

from __future__ import annotations

from flask import Blueprint, abort, url_for
from flask_login import current_user

from supervision import permissions
from supervision.complainants import services
from supervision.complainants.forms import DeliveredForm, ReviewDecisionForm, ReviewRequestForm
from supervision.extensions import db
from supervision.models.complainants import ComplainantNotice, DeliveryMethod, ReviewOutcome, ReviewRequest, ReviewStage
from supervision.models.matters import Matter
from supervision.pipeline import submit
from supervision.web import letters, requires

bp = Blueprint("complainants", __name__, url_prefix="/matters")


def _run(matter: Matter, form, run, success: str, anchor: str = "complainant"):
    """The one pipeline: validate, call the service, commit once, flash, back to the matter's section."""
    back = url_for("matters.detail", matter_id=matter.id) + f"#{anchor}"
    return submit(form, run, success=success, then=back, otherwise=back)


@bp.post("/<int:matter_id>/notices/<int:notice_id>/delivered")
@requires(permissions.can_view_identity)
def delivered(matter_id: int, notice_id: int):
    notice = db.get_or_404(ComplainantNotice, notice_id)
    if notice.matter_id != matter_id:
        abort(404)
    form = DeliveredForm()
    return _run(notice.matter, form, lambda: services.record_delivery(
        db.session, current_user, notice, DeliveryMethod(form.method.data)), "已登记送达。")


@bp.post("/<int:matter_id>/reviews")
@requires(permissions.can_register_matter)
def record_review(matter_id: int):
    matter = db.get_or_404(Matter, matter_id)
    form = ReviewRequestForm()
    return _run(matter, form, lambda: services.request_review(
        db.session, current_user, matter, ReviewStage(form.stage.data), form.reason.data,
        requested_on=form.requested_on.data, letters=letters()), "已登记请求。", "reviews")


@bp.post("/<int:matter_id>/reviews/<int:review_id>/decide")
@requires(lambda user: permissions.is_role(user, permissions.Role.SUPERVISOR, permissions.Role.LEADER))
def decide_review(matter_id: int, review_id: int):
    review = db.get_or_404(ReviewRequest, review_id)
    if review.matter_id != matter_id:
        abort(404)
    form = ReviewDecisionForm()
    return _run(review.matter, form, lambda: services.decide_review(
        db.session, current_user, review, ReviewOutcome(form.outcome.data), form.opinion.data, letters=letters()),
        f"{review.stage.label}意见已登记并告知反映人。", "reviews")
