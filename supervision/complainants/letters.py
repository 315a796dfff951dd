"""The words of each notice to the complainant, from the matter's facts. Pure: no database, no Flask.

No paragraph names the complainant, the staff or the complaint's own words: the text is shown on the
portal and carried by SMS and e-mail. Dates are written the Chinese way (2026年3月3日)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from supervision.paperwork.layout import format_cn_date, format_deadline

# The reason the complainant is told of an extension: the department's own reason stays internal (it may name
# people or internal steps), so the notice gives the office's standard wording.
EXTENSION_REASON = "情况复杂，需要进一步调查核实"
REVIEW_WINDOW_DAYS = 30  # 复查 / 复核 may be asked within 30 days of the opinion; answered within 30 days


@dataclass(frozen=True)
class About:
    """The matter as the complainant knows it."""

    serial: str
    title: str
    received_on: date
    office: str


def _subject(about: About) -> str:
    return f"您于{format_cn_date(about.received_on)}反映的“{about.title}”一事"


def acceptance(about: About, accepted_on: date, handler: str, limit_label: str) -> tuple[str, ...]:
    return (f"{_subject(about)}，经审查，符合受理条件，已于{format_cn_date(accepted_on)}予以受理。",
            f"本件由{handler}负责办理，办理期限为{limit_label}，自交办之日起计算。办理结果将书面告知您。")


def refusal(about: About, reason: str, elsewhere: str = "") -> tuple[str, ...]:
    return (f"{_subject(about)}，经审查，不属于{about.office}受理范围，决定不予受理。",
            f"理由：{reason.rstrip('。')}。",
            elsewhere or "您可以向依法有权处理该事项的机关、单位反映，或者依法通过行政复议、诉讼、仲裁等途径解决。")


def transfer(about: About, assigned_on: date, unit: str, due: date, provisional: bool) -> tuple[str, ...]:
    return (f"{_subject(about)}，已于{format_cn_date(assigned_on)}交{unit}办理，"
            f"办理时限为{format_deadline(due, provisional)}。{about.office}将督促其按期办结。",)


def extension(about: About, reason: str, new_due: date) -> tuple[str, ...]:
    return (f"{_subject(about)}，因{reason.rstrip('。')}，经批准，办理期限延长至{format_cn_date(new_due)}。",
            "延期期间如有新的情况，请及时与我们联系。")


def answer(about: About, unit: str, opinion: str, review_body: str) -> tuple[str, ...]:
    return (f"{_subject(about)}，经{unit}调查核实，处理意见如下：",
            *[line.strip() for line in opinion.splitlines() if line.strip()],
            f"如对本处理意见不服，您可以自收到本意见书之日起{REVIEW_WINDOW_DAYS}日内，向{review_body}请求复查。")


def review(about: About, requested_on: date, outcome: str, opinion: str, re_review_body: str) -> tuple[str, ...]:
    return (f"您对“{about.title}”一事的处理意见不服，于{format_cn_date(requested_on)}请求复查。"
            f"经复查，决定{outcome}。",
            *[line.strip() for line in opinion.splitlines() if line.strip()],
            f"如对本复查意见不服，您可以自收到本意见书之日起{REVIEW_WINDOW_DAYS}日内，向{re_review_body}请求复核。")


def re_review(about: About, requested_on: date, outcome: str, opinion: str) -> tuple[str, ...]:
    return (f"您对“{about.title}”一事的复查意见不服，于{format_cn_date(requested_on)}请求复核。"
            f"经复核，决定{outcome}。",
            *[line.strip() for line in opinion.splitlines() if line.strip()],
            "本复核意见为终结意见。您就同一事项再次提出的，不再受理。")
