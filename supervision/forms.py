"""Form pieces shared by every area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Length, Optional

from supervision.models.base import text_length

REQUIRED_MESSAGE = "此项为必填项。"


def required() -> DataRequired:
    return DataRequired(message=REQUIRED_MESSAGE)


def limited(column, label: str, *, optional: bool = False, textarea: bool = False, **kwargs):
    """A text field whose length limit is the database column's (one place for the number)."""
    maximum = text_length(column)
    validators = [Optional() if optional else required(),
                  Length(max=maximum, message=f"不能超过 {maximum} 个字符。")]
    field = TextAreaField if textarea else StringField
    render_kw = {"maxlength": maximum, **kwargs.pop("render_kw", {})}
    return field(label, validators=validators, render_kw=render_kw, **kwargs)


_TRANSLATIONS = get_translations(["zh"])


class BaseForm(FlaskForm):
    """All forms: CSRF on, whitespace stripped, WTForms' own messages in Chinese."""

    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS

        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            if unbound_field.field_class in (StringField, TextAreaField):
                filters = [*filters, _strip]
            return unbound_field.bind(form=form, filters=filters, **options)


def _strip(value):
    """Trim text; an absent text field reads as "" (never None) so services need no None checks."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value
