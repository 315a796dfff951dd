"""The one request pipeline for views that write (docs/architecture.md, "The request pipeline").

A writing view loads its object and checks the actor's right (``requires``, ``load_*``), then hands the
rest to ``submit``: validate the form → call the one service → commit once → flash → redirect; or, when
the form or a rule refuses, roll back and show the page again with the input kept (status 400).

The steps follow Indico's request handler (``RH._process_args`` loads, ``_check_access`` refuses,
``_process`` does the work, and the handler — not the work — commits once at the end). Here they are
plain functions, because the views are functions:

- ``submit(form, service, success=…, then=…, otherwise=…)`` — the whole pipeline for a form.
- ``perform(service)`` — its middle (service → commit once, or refuse with a Chinese message), for the
  few views whose answer is not "redirect or re-render": a file download, the public box's captcha.

Refusals become messages in Chinese: a ``DomainError`` (``WorkflowError``, ``PermissionDenied``,
``ValidationError`` …) says its own words; a concurrent change (``StaleDataError``) and, where the view
names one, a unique-constraint race (``IntegrityError``) say the view's. Anything else is a bug and goes
to the 500 page — which, once this request's write is committed, says that the write is saved: a user is
never told that a committed write failed (``committed()``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import Flask, Response, flash, g, has_request_context, redirect
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from supervision import filestore
from supervision.errors import DomainError, StaleObjectError
from supervision.extensions import db

log = logging.getLogger(__name__)
T = TypeVar("T")

INVALID_INPUT = "提交的内容有误，请按提示修改（已填写的内容已保留）。"
_COMMITS = "supervision_commits"  # flask.g: how many times this request's session has committed
_WRITE_SAVED = "supervision_write_saved"  # flask.g: the user's write (perform) is committed


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What ``perform`` gives back: the service's result, or the refusal (already flashed, rolled back)."""

    ok: bool
    result: T | None = None
    error: Exception | None = None


def perform(service: Callable[[], T], *, stale: str | None = None, conflict: str | None = None,
            refused: Callable[[Exception], None] | None = None,
            commit_refusal: bool = False, bookkeeping: bool = False) -> Outcome[T]:
    """Call the one service, then commit once. On a refusal roll back (or, with ``commit_refusal``, keep
    what the service recorded of the refusal, such as a failed login) and flash the reason in Chinese.

    ``stale``: the message when someone else changed the row meanwhile (optimistic locking);
    ``conflict``: catch a unique-constraint race at flush and say this; ``refused(error)``: called after
    the message is flashed, to mark the field the refusal concerns; ``bookkeeping``: this commit is not
    the user's write (a captcha used up, an audited look), so a later failure is not "saved"."""
    caught: tuple[type[Exception], ...] = (DomainError, StaleDataError) + ((IntegrityError,) if conflict else ())
    try:
        result = service()
        db.session.flush()  # the database refuses now, before anything is committed
    except caught as error:
        return _refuse(error, stale, conflict, refused, commit_refusal)
    before = _commits()
    try:
        db.session.commit()
    except caught as error:  # a constraint checked at COMMIT (deferred): nothing was written
        if _commits() == before:
            return _refuse(error, stale, conflict, refused, False)
        raise
    except Exception as error:
        if _commits() == before and isinstance(error, OperationalError) and filestore.disk_full(error):
            # the database's disk is full at COMMIT (SQLite): nothing was written; the form is kept
            return _refuse(filestore.StorageFull(), stale, conflict, refused, False)
        if _commits() > before:  # the write stands; work listening after the commit failed
            log.exception("after-commit work failed; the write is committed")
            _saved(bookkeeping)  # the 500 page says saved
            db.session.close()  # the session cannot go on from a transaction that raised after committing
        raise
    _saved(bookkeeping)
    return Outcome(True, result)


@dataclass(frozen=True)
class ItemOutcome:
    """One item of a batch: what it is called (a serial) and whether its own service call went through."""

    label: str
    ok: bool
    reason: str = ""


def perform_each(items: Iterable[tuple[str, Callable[[], Any]]], *, done: str, stale: str | None = None,
                 ) -> list[ItemOutcome]:
    """Batch work (批量催办, 批量签收): each item is its own service call — checked, written and audited on
    its own — and committed on its own, so one refusal leaves the others done. Flashes a summary: what was
    done, and each item that was not with its reason in Chinese. ``done``: the verb of the success line
    ("催办"). Returns the outcomes, in order."""
    outcomes: list[ItemOutcome] = []
    for label, service in items:
        try:
            service()
            db.session.flush()
            db.session.commit()
        except (DomainError, StaleDataError) as error:
            db.session.rollback()
            reason = str(error) if isinstance(error, DomainError) else (stale or str(StaleObjectError()))
            outcomes.append(ItemOutcome(label, False, reason))
            continue
        _saved(False)
        outcomes.append(ItemOutcome(label, True))
    succeeded = [o.label for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    if succeeded:
        flash(f"已{done} {len(succeeded)} 件：{'、'.join(succeeded)}。", "success")
    if failed:
        flash(f"{len(failed)} 件未能{done}：" + "；".join(f"{o.label}：{o.reason.rstrip('。')}" for o in failed) + "。",
              "error")
    return outcomes


def submit(form: Any, service: Callable[[], T], *, success: str | Callable[[T], str | None] | None,
           then: str | Callable[[T], str | Response], otherwise: str | Callable[[], Any],
           invalid: str | None = INVALID_INPUT, status: int = 400, **perform_options: Any):
    """The pipeline of a writing view.

    ``form``: a WTForm (validated with its CSRF token), or None when the view has already checked its
    input. While the form is not submitted (a GET) the page is shown: ``otherwise()``, status 200.
    ``service()``: calls the one service (which checks the rules, writes and audits, never commits).
    ``success``: the flash after the commit (or a function of the service's result; None: no flash).
    ``then``: where to go after the commit — a URL, or a function of the result giving a URL or a
    response (a file to download).
    ``otherwise``: on invalid input or a refusal, a page function re-rendering the form as submitted
    (answered with ``status``: 400, or 200 for the pages that have always answered so), or a URL to go
    back to.
    ``invalid``: the flash for invalid input (None: the field errors say it all).
    Other keywords go to ``perform`` (stale=, conflict=, refused=, commit_refusal=).
    """
    if form is not None and not form.is_submitted():
        return _page(otherwise, 200)
    if form is not None and not form.validate_on_submit():
        if invalid:
            flash(invalid, "error")
        return _page(otherwise, status)
    outcome = perform(service, **perform_options)
    if not outcome.ok:
        return _page(otherwise, status)
    message = success(outcome.result) if callable(success) else success
    if message:
        flash(message, "success")
    target = then(outcome.result) if callable(then) else then
    return redirect(target) if isinstance(target, str) else target


def committed() -> bool:
    """Has this request committed the user's write? (The 500 page then says the write is saved.)"""
    return has_request_context() and bool(g.get(_WRITE_SAVED))


def init_app(app: Flask) -> None:
    """Count the commits of the request's session, before any other after-commit listener runs: a
    commit that raised from such a listener has still committed."""
    if not event.contains(db.session, "after_commit", _note_commit):
        event.listen(db.session, "after_commit", _note_commit, insert=True)


def _note_commit(session) -> None:
    if has_request_context():
        setattr(g, _COMMITS, g.get(_COMMITS, 0) + 1)


def _commits() -> int:
    return g.get(_COMMITS, 0) if has_request_context() else 0


def _saved(bookkeeping: bool) -> None:
    if has_request_context() and not bookkeeping:
        setattr(g, _WRITE_SAVED, True)


def _refuse(error: Exception, stale: str | None, conflict: str | None,
            refused: Callable[[Exception], None] | None, commit_refusal: bool) -> Outcome:
    if commit_refusal and isinstance(error, DomainError):
        db.session.commit()  # the refusal itself is on record (a failed login, a lock)
    else:
        db.session.rollback()
    if isinstance(error, DomainError):
        message = str(error)
    elif isinstance(error, StaleDataError):
        message = stale or str(StaleObjectError())
    else:
        message = conflict or ""
    flash(message, "error")
    if refused is not None:
        refused(error)
    return Outcome(False, error=error)


def _page(otherwise: str | Callable[[], Any], status: int):
    if isinstance(otherwise, str):
        return redirect(otherwise)
    page = otherwise()
    return (page[0] if isinstance(page, tuple) else page), status
