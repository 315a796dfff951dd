"""Form pieces shared by every area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from supervision.calendar import MAX_YEAR, MIN_YEAR
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
            if issubclass(unbound_field.field_class, DateField):
                validators = [*unbound_field.kwargs.get("validators", []), in_calendar_range]
                return unbound_field.bind(form=form, filters=filters, validators=validators, **options)
            return unbound_field.bind(form=form, filters=filters, **options)


def in_calendar_range(form, field) -> None:
    """Every date the office types lies in the working-day calendar's years (deadlines are computed on it)."""
    if field.data is not None and not MIN_YEAR <= field.data.year <= MAX_YEAR:
        raise StopValidation(f"日期须在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间。")


def drop_invalid(form) -> list[str]:
    """Validate a list's filter form (read from the query string) and clear every field that failed, so an
    invalid value (``?status=zzz``) filters nothing instead of reaching a query. Returns "标签：原因" for
    each, for the message the page shows."""
    form.validate()
    problems = []
    for field in form:
        if field.errors:
            problems.append(f"{field.label.text}：{field.errors[0]}")
            field.data = None if isinstance(field, DateField) else field.default
            field.raw_data = []
            field.errors = []
    form.invalid = problems
    return problems


def invalid_filters_message(problems: list[str]) -> str:
    return "以下筛选条件无效，已忽略：" + "；".join(problems) + "。"


def filters_status(form) -> int:
    """For a list page: flash which filters were ignored; the status to answer with (400 if any)."""
    from flask import flash

    if getattr(form, "invalid", None):
        flash(invalid_filters_message(form.invalid), "error")
        return 400
    return 200


def refuse_invalid_filters(form):
    """For an export: (page, 400) naming the invalid filters, or None. An export with a filter silently
    dropped would hold other rows than the user asked for."""
    from flask import render_template

    if not getattr(form, "invalid", None):
        return None
    return render_template("errors/error.html", code=400, title="筛选条件无效",
                           message="以下筛选条件无效，未导出：" + "；".join(form.invalid) + "。请返回列表页修改后重新导出。"), 400


def _strip(value):
    """Trim text; an absent text field reads as "" (never None) so services need no None checks."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value


BATCH_LIMIT = 200  # a page of a list at most: one batch is what one person ticked on one screen


class BatchForm(BaseForm):
    """A batch action of a list (批量催办, 批量签收): the ticked rows, and the list's filters to go back to."""

    ids = SelectMultipleField("选择", validate_choice=False)
    back = HiddenField()

    def chosen_ids(self) -> list[int]:
        """The ticked ids, each once, in the order ticked; junk is ignored."""
        ids = [int(raw) for raw in self.ids.data or [] if str(raw).isdigit() and 0 < int(raw) < 2**31]
        return list(dict.fromkeys(ids))[:BATCH_LIMIT]

    def back_query(self) -> str:
        """The list's query string as it was ("?status=assigned&page=2"), re-encoded: never a URL elsewhere."""
        from urllib.parse import parse_qsl, urlencode

        raw = (self.back.data or "").lstrip("?")[:2000]
        query = urlencode(parse_qsl(raw))
        return f"?{query}" if query else ""


class CheckboxGroups:
    """A multi-select as checkboxes in one fieldset per group (the choices' optgroups): a tap each on a
    phone, no Ctrl+click. A filter box over the names appears with JavaScript (static/js/app.js, data-picker);
    without it the checkboxes work alone."""

    def __init__(self, filter_label: str = "输入名称筛选"):
        self.filter_label = filter_label

    def __call__(self, field, **kwargs):
        from markupsafe import Markup, escape

        chosen = {str(value) for value in field.data or []}
        html = [f'<div class="picker" data-picker id="{escape(field.id)}">',
                f'<input type="search" class="picker-filter" placeholder="{escape(self.filter_label)}" '
                f'aria-label="{escape(self.filter_label)}" hidden>']
        for group, choices in field.iter_groups():
            html.append('<fieldset class="picker-group">' + (f"<legend>{escape(group)}</legend>" if group else ""))
            for choice in choices:
                value = str(choice.value)
                html.append(f'<label class="check"><input type="checkbox" name="{escape(field.name)}" '
                            f'value="{escape(value)}"{" checked" if value in chosen else ""}> {escape(choice.label)}</label>')
            html.append("</fieldset>")
        html.append("</div>")
        return Markup("".join(html))
