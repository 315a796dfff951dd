from __future__ import annotations

from wtforms import DateField, HiddenField, SelectField
from wtforms.validators import Optional

from supervision.forms import BaseForm, BatchForm, limited, required
from supervision.models.escalation import Escalation
from supervision.models.escalation import SupervisionLevel


class UrgeForm(BaseForm):
    assignment_id = HiddenField(validators=[required()])
    level = SelectField("方式", choices=[(level.value, level.label) for level in SupervisionLevel],
                        validators=[required()])
    note = limited(Escalation.__table__.c.note, "催办、督办意见", textarea=True)
    new_due_on = DateField("新的办理时限（可不填）", validators=[Optional()])


class BatchUrgeForm(BatchForm):
    """批量催办 from the ledger: one level and one note for every ticked matter's lead department."""

    level = SelectField("方式", choices=[(level.value, level.label) for level in SupervisionLevel],
                        validators=[required()])
    note = limited(Escalation.__table__.c.note, "催办意见", textarea=True, render_kw={"rows": 2})
