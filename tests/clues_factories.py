"""Factories for the clue tests: every clue is reached through the real services (register or turn a
matter into a clue → propose → approve …), so it has the audit rows the procedure would give it.

``from clues_factories import make_clue, person``; the matters fixtures (office, today) come along.
"""

from __future__ import annotations

import pytest

from supervision.clues import services
from supervision.models.clues import CadreLevel, ClueSource, DisposalWay
from supervision.clues.services import ClueInput, PersonInput, ReporterInput

PERSON = PersonInput("李建国", "示范市住房和城乡建设局", "房产交易科科长", CadreLevel.SECTION)
SUMMARY = "反映李建国在办理商品房预售许可过程中收受开发企业购物卡，并为其违规提前办理网签。"


def person(**overrides) -> PersonInput:
    values = {"name": PERSON.name, "unit": PERSON.unit, "post": PERSON.post, "cadre_level": PERSON.cadre_level}
    values.update(overrides)
    return PersonInput(**values)


def clue_input(**overrides) -> ClueInput:
    values = dict(source=ClueSource.HIGHER, summary=SUMMARY, people=[person()], source_note="市纪委监委转办〔2026〕5号",
                  real_name=True, reporter=ReporterInput(name="王举报", phone="13911112222"))
    values.update(overrides)
    return ClueInput(**values)


@pytest.fixture
def make_clue(session, office):
    """``make_clue("inquiry")``: a directly registered clue, disposed of in the way asked and approved."""

    def make(way: str | None = None, **overrides):
        clue = services.register_clue(session, office.intake, clue_input(**overrides))
        if way is not None:
            review_on = None
            if way == DisposalWay.SHELVE.value:
                from datetime import timedelta

                from supervision import clock

                review_on = clock.today() + timedelta(days=90)
            services.propose_disposal(session, office.supervisor, clue, DisposalWay(way), "经研判，拟按此方式处置。",
                                      review_on=review_on)
            services.approve_disposal(session, office.leader, clue, "同意。", "室务会")
        session.commit()
        return clue

    return make
