"""Every write of the public side. Citizens have no account: their writes run with actor ``None`` and
go through the matters services (``register_matter(public=True)``) or, for the rating, apply the
follow-up transition here with the same workflow rule and an audit row that says ``by_citizen``."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from supervision import audit, clock, permissions, workflow
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.matters import services as matters
from supervision.portal import captcha
from supervision.models.matters import (
    Category,
    Channel,
    Matter,
    MatterKind,
    MatterStatus,
    Satisfaction,
)
from supervision.models.org import Department, User
from supervision.models.portal import (
    CitizenRating,
    FigureRow,
    FigureSnapshot,
    PeriodKind,
    PortalCaptcha,
    PortalLookup,
)
from supervision.statistics.figures import LEAD_JOIN, Lead, matter_condition
from supervision.uploads import Storage
from supervision.workflow import Action

PUBLIC_KINDS = (MatterKind.COMPLAINT, MatterKind.SUGGESTION)  # findings are the office's own work
PUBLIC_CHANNEL = {MatterKind.COMPLAINT: Channel.ONLINE, MatterKind.SUGGESTION: Channel.ONLINE_MAILBOX}
SERIAL_PATTERN = re.compile(r"^(XT|YJ|JC)-\d{4}-\d{5}$")
QUERY_CODE_PATTERN = re.compile(rf"^[{matters.QUERY_CODE_ALPHABET}]{{8}}$")
# Compared against when the number is unknown, so both failures take the same path.
_NO_CODE = "!" * 8


# --- the online box --------------------------------------------------------------------------------
@dataclass
class Submission:
    kind: MatterKind
    title: str
    content: str
    anonymous: bool
    name: str = ""
    phone: str = ""
    email: str = ""  # optional: the notices (告知书) are sent there too
    confidential: bool = False
    category: Category | None = None
    respondent_department: Department | None = None
    respondent_unit: str = ""
    respondent_person: str = ""


def submit_matter(session: Session, submission: Submission, *, files: list[tuple[str, bytes]] = (),
                  storage: Storage | None = None) -> Matter:
    """A citizen's complaint or suggestion: registered into intake's queue, channel 网络 / 网上意见箱."""
    if submission.kind not in PUBLIC_KINDS:
        raise ValidationError("网上只能提交效能投诉或意见建议。")
    if submission.kind == MatterKind.COMPLAINT and submission.respondent_department is None \
            and not submission.respondent_unit.strip():
        raise ValidationError("请选择或填写被投诉单位。")
    if not submission.anonymous and not (submission.name.strip() and submission.phone.strip()):
        raise ValidationError("实名反映请填写姓名和联系电话；不愿留下联系方式的，请选择匿名反映。")
    identity = matters.IdentityInput() if submission.anonymous else matters.IdentityInput(
        name=submission.name.strip(), phone=submission.phone.strip(), email=submission.email.strip())
    data = matters.MatterInput(
        kind=submission.kind, channel=PUBLIC_CHANNEL[submission.kind], title=submission.title,
        content=submission.content, received_on=clock.today(), category=submission.category,
        respondent_department=submission.respondent_department, respondent_unit=submission.respondent_unit,
        respondent_person=submission.respondent_person, anonymous=submission.anonymous,
        confidential=submission.confidential and not submission.anonymous, identity=identity)
    return matters.register_matter(session, None, data, files=files, storage=storage, public=True)


# --- progress lookup -------------------------------------------------------------------------------
def normalise_serial(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper().replace("－", "-").replace("—", "-")


def normalise_code(raw: str) -> str:
    return re.sub(r"[\s\-]+", "", raw or "").upper()


def find_for_citizen(session: Session, serial: str, query_code: str) -> Matter | None:
    """The matter with this number *and* code, or None. An unknown number and a wrong code take the
    same path (a constant-time comparison either way), so neither the answer nor its timing tells
    whether a number exists."""
    matter = session.scalar(select(Matter).where(Matter.serial == serial, Matter.kind.in_(PUBLIC_KINDS)))
    expected = matter.query_code if matter is not None else _NO_CODE
    matched = hmac.compare_digest(expected.encode(), query_code.encode())
    return matter if matched and matter is not None else None


# --- the look-up's session: a token in the browser, the state here ---------------------------------
LOOKUP_SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


def open_lookup(session: Session, matter: Matter) -> str:
    """After a number and query code matched: a new look-up, returned as the token for the browser."""
    token = secrets.token_urlsafe(24)
    now = clock.now()
    session.add(PortalLookup(token_digest=captcha.digest(token), matter=matter, opened_at=now, last_seen_at=now))
    return token


def looked_up_matter(session: Session, token: object, idle: timedelta) -> Matter | None:
    """The matter of a look-up still open: not ended by 退出查询 and used within ``idle``. A look-up
    left idle longer is ended here, so it cannot come back."""
    if not isinstance(token, str) or not token:
        return None
    lookup = session.scalar(select(PortalLookup).where(PortalLookup.token_digest == captcha.digest(token)))
    if lookup is None or lookup.ended_at is not None:
        return None
    now = clock.now()
    if now - lookup.last_seen_at > idle:
        lookup.ended_at = now
        return None
    if now - lookup.last_seen_at >= LOOKUP_SEEN_EVERY:
        lookup.last_seen_at = now
    return lookup.matter


def end_lookup(session: Session, token: object) -> None:
    """退出查询: the token no longer shows the matter, also from a copy of the cookie."""
    if isinstance(token, str) and token:
        session.execute(update(PortalLookup)
                        .where(PortalLookup.token_digest == captcha.digest(token), PortalLookup.ended_at.is_(None))
                        .values(ended_at=clock.now()).execution_options(synchronize_session=False))


def purge_portal_sessions(session: Session, older_than: timedelta = timedelta(days=1)) -> int:
    """Remove CAPTCHA questions and look-ups older than a day: challenges and browser sessions, not
    records (the matter, its rating and their audit rows say what the citizen did). Run by the sweep."""
    cutoff = clock.now() - older_than
    removed = session.execute(delete(PortalCaptcha).where(PortalCaptcha.issued_at < cutoff)
                              .execution_options(synchronize_session=False)).rowcount
    removed += session.execute(delete(PortalLookup).where(PortalLookup.opened_at < cutoff)
                               .execution_options(synchronize_session=False)).rowcount
    return removed


# --- the citizen's rating --------------------------------------------------------------------------
def rating_of(session: Session, matter: Matter) -> CitizenRating | None:
    return session.scalar(select(CitizenRating).where(CitizenRating.matter_id == matter.id))


def can_rate(session: Session, matter: Matter) -> bool:
    return (matter.status, Action.FOLLOW_UP) in workflow.TRANSITIONS and rating_of(session, matter) is None


def rate_matter(session: Session, matter: Matter, satisfaction: Satisfaction, comment: str = "") -> CitizenRating:
    """回访 by the citizen online: the same FOLLOW_UP transition as intake's call-back, with no actor.

    The comment is the citizen's own words and goes to ``followup_note`` (office staff only); the
    timeline says only the rating, which departments may read."""
    if rating_of(session, matter) is not None:
        raise WorkflowError("您已对该事项作出评价，每件事项只能评价一次。")
    if matter.status != MatterStatus.APPROVED:
        raise WorkflowError("办理结果答复后才能评价；该事项当前不能评价。")
    old = matter.status
    matter.status = workflow.next_status(old, Action.FOLLOW_UP)
    comment = (comment or "").strip()
    now = clock.now()
    matter.satisfaction, matter.followup_note, matter.followed_up_at = (
        satisfaction, f"群众网上评价{('：' + comment) if comment else ''}", now)
    rating = CitizenRating(matter=matter, satisfaction=satisfaction, comment=comment, rated_at=now)
    session.add(rating)
    matters.add_event(session, matter, None, Action.FOLLOW_UP.value, f"群众网上评价：{satisfaction.label}",
                      audience="public")
    audit.record(session, None, f"matter.{Action.FOLLOW_UP.value}", matter,
                 f"{matter.serial} 群众网上评价：{satisfaction.label}",
                 {"status": [old, matter.status], "satisfaction": satisfaction, "by_citizen": True})
    return rating


# --- published figures -----------------------------------------------------------------------------
QUARTER_NAMES = "一二三四"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date
    label: str


def period_of(kind: PeriodKind, year: int, number: int | None = None) -> Period:
    """月度 (number = month), 季度 (number = quarter) or 年度."""
    if not 2000 <= year <= 2100:
        raise ValidationError("请填写正确的年份。")
    if kind == PeriodKind.YEAR:
        return Period(kind, date(year, 1, 1), date(year, 12, 31), f"{year}年度")
    if kind == PeriodKind.QUARTER:
        if number not in (1, 2, 3, 4):
            raise ValidationError("季度应为 1–4。")
        first = date(year, 3 * number - 2, 1)
        return Period(kind, first, _month_end(year, 3 * number), f"{year}年第{QUARTER_NAMES[number - 1]}季度")
    if number is None or not 1 <= number <= 12:
        raise ValidationError("月份应为 1–12。")
    return Period(kind, date(year, number, 1), _month_end(year, number), f"{year}年{number}月")


def _month_end(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


@dataclass
class DepartmentFigures:
    department_id: int
    department_name: str
    code: str
    received: int = 0
    closed_on_time: int = 0
    rated: int = 0
    satisfied: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.received if self.received else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


def compute_figures(session: Session, period: Period) -> list[DepartmentFigures]:
    """Per lead department: complaints and suggestions received in the period and assigned to it.

    按时办结 and the satisfaction counts are the statistics figures (``supervision.statistics.figures``),
    so the public page and the statistics page cannot disagree about what "on time" means."""
    on_time, satisfied, fairly, dissatisfied = (
        func.count(case((matter_condition(key, clock.today()), 1)))
        for key in ("closed_on_time", "satisfied", "fairly_satisfied", "dissatisfied"))
    query = (select(Department.id, Department.name, Department.code, func.count(), on_time, satisfied, fairly,
                    dissatisfied)
             .select_from(Matter).join(Department, Department.id == Matter.lead_department_id)
             .outerjoin(Lead, LEAD_JOIN)
             .where(Matter.kind.in_(PUBLIC_KINDS), Matter.received_on >= period.start,
                    Matter.received_on <= period.end)
             .group_by(Department.id, Department.name, Department.code))
    rows = [DepartmentFigures(id_, name, code, received, closed_on_time, s + f + d, s + f)
            for id_, name, code, received, closed_on_time, s, f, d in session.execute(query)]
    return sorted(rows, key=lambda f: f.code)


def current_snapshot(session: Session, period: Period) -> FigureSnapshot | None:
    return session.scalar(select(FigureSnapshot).where(
        FigureSnapshot.period_kind == period.kind, FigureSnapshot.period_start == period.start,
        FigureSnapshot.superseded_at.is_(None)))


def publish_figures(session: Session, actor: User, period: Period) -> FigureSnapshot:
    """发布: compute the figures now and publish them; an earlier snapshot of the period is superseded
    (kept, no longer shown to the public)."""
    if not permissions.can_publish_figures(actor):
        raise PermissionDenied("只有督查人员或领导可以发布公开数据。")
    if period.end >= clock.today():
        raise ValidationError(f"{period.label}尚未结束（至 {period.end:%Y-%m-%d}），期满后再发布，以免公布不完整的数据。")
    rows = compute_figures(session, period)
    now = clock.now()
    previous = current_snapshot(session, period)
    if previous is not None:
        previous.superseded_at = now
        session.flush()  # the partial unique index allows one current snapshot per period
    snapshot = FigureSnapshot(period_kind=period.kind, period_start=period.start, period_end=period.end,
                              label=period.label, published_at=now, published_by_id=actor.id)
    session.add(snapshot)
    for position, row in enumerate(rows):
        session.add(FigureRow(snapshot=snapshot, position=position, department_id=row.department_id,
                              department_name=row.department_name, received=row.received,
                              closed_on_time=row.closed_on_time, rated=row.rated, satisfied=row.satisfied))
    audit.record(session, actor, "figures.published", snapshot,
                 f"发布公开数据 {period.label}" + ("（替换此前发布的数据）" if previous else ""),
                 {"period": period.label, "departments": len(rows), "received": sum(r.received for r in rows),
                  "replaces": previous.id if previous else None})
    return snapshot


def published_snapshots(session: Session, limit: int = 24) -> list[FigureSnapshot]:
    """What the public sees: the current snapshot of each period, newest period first."""
    return list(session.scalars(
        select(FigureSnapshot).where(FigureSnapshot.superseded_at.is_(None))
        .options(selectinload(FigureSnapshot.rows))
        .order_by(FigureSnapshot.period_start.desc(), FigureSnapshot.period_kind, FigureSnapshot.id.desc())
        .limit(limit)))


def snapshot_history(session: Session, limit: int = 50) -> list[FigureSnapshot]:
    return list(session.scalars(
        select(FigureSnapshot).options(selectinload(FigureSnapshot.rows), selectinload(FigureSnapshot.published_by))
        .order_by(FigureSnapshot.id.desc()).limit(limit)))


def totals(rows) -> DepartmentFigures:
    total = DepartmentFigures(0, "合计", "")
    for row in rows:
        total.received += row.received
        total.closed_on_time += row.closed_on_time
        total.rated += row.rated
        total.satisfied += row.satisfied
    return total

