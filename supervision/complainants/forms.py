from __future__ import annotations

from wtforms import DateField, RadioField
from wtforms.validators import InputRequired

from supervision.forms import BaseForm, limited
from supervision.models.complainants import DeliveryMethod, ReviewOutcome, ReviewRequest, ReviewStage

R = ReviewRequest.__table__.c


class DeliveredForm(BaseForm):
    method = RadioField("送达方式", choices=DeliveryMethod.choices(),
                        validators=[InputRequired(message="请选择送达方式。")])


class ReviewRequestForm(BaseForm):
    """复查 / 复核 brought by letter or in person: intake records it."""

    stage = RadioField("请求", choices=ReviewStage.choices(), validators=[InputRequired(message="请选择复查或复核。")])
    requested_on = DateField("请求日期（收到请求之日）", validators=[InputRequired(message="请填写请求日期。")])
    reason = limited(R.reason, "理由（反映人所述）", textarea=True, render_kw={"rows": 3})


class ReviewDecisionForm(BaseForm):
    outcome = RadioField("结论", choices=ReviewOutcome.choices(), validators=[InputRequired(message="请选择结论。")])
    opinion = limited(R.opinion, "意见（将告知反映人）", textarea=True, render_kw={"rows": 4})
