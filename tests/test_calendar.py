"""The working-day calendar: 调休, the fallback beyond chinesecalendar's data, and deadline counting."""

from datetime import date, timedelta

import chinese_calendar
import pytest

from supervision.calendar import (
    LIMIT_UNIT_LABELS,
    DayInfo,
    DaySource,
    Deadline,
    LimitUnit,
    Override,
    WorkCalendar,
)


@pytest.fixture
def calendar():
    return WorkCalendar()


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# -- which days are working days ---------------------------------------------------------------


def test_make_up_saturday_2026_02_14_is_a_workday(calendar):
    info = calendar.day_info(date(2026, 2, 14))
    assert info == DayInfo(date(2026, 2, 14), True, info.name, DaySource.OFFICIAL)
    assert "春节" in info.name


def test_all_2026_make_up_weekend_days_are_workdays(calendar):
    make_up = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
               date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)]
    assert all(day.weekday() >= 5 for day in make_up)
    assert [calendar.is_workday(day) for day in make_up] == [True] * 6


def test_spring_festival_2026_is_nine_days_off_from_february_15_to_23(calendar):
    assert not any(calendar.is_workday(day) for day in days(date(2026, 2, 15), date(2026, 2, 23)))
    assert calendar.is_workday(date(2026, 2, 24))
    assert calendar.day_info(date(2026, 2, 17)).name == "春节"


def test_national_day_2026_is_october_1_to_7_and_october_8_is_a_workday(calendar):
    # Both chinesecalendar and the holidays package give 1–7 October (Mid-Autumn is 25 September).
    assert not any(calendar.is_workday(day) for day in days(date(2026, 10, 1), date(2026, 10, 7)))
    assert calendar.is_workday(date(2026, 10, 8))
    assert calendar.day_info(date(2026, 10, 1)).name == "国庆节"


def test_ordinary_weekend_is_not_a_workday(calendar):
    info = calendar.day_info(date(2026, 3, 7))
    assert info.is_workday is False
    assert info.name == ""


def test_new_year_2027_is_not_a_workday_in_fallback(calendar):
    info = calendar.day_info(date(2027, 1, 1))
    assert info == DayInfo(date(2027, 1, 1), False, "元旦", DaySource.ESTIMATED)
    # A plain Mon–Fri fallback would answer 2027-01-01 (a Friday).
    assert calendar.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_fallback_estimates_spring_festival_2027_including_new_years_eve(calendar):
    assert calendar.day_info(date(2027, 2, 5)).name == "农历除夕"
    assert not calendar.is_workday(date(2027, 2, 5))  # a Friday
    assert not calendar.is_workday(date(2027, 2, 8))  # Monday after the 春节 weekend
    assert calendar.is_workday(date(2027, 2, 4))


def test_ordinary_2027_weekday_is_an_estimated_workday(calendar):
    assert calendar.day_info(date(2027, 3, 3)) == DayInfo(date(2027, 3, 3), True, "", DaySource.ESTIMATED)


def test_year_without_chinesecalendar_data_is_detected_not_hard_coded(monkeypatch):
    real = chinese_calendar.get_holiday_detail

    def knows_only_until_2025(day):
        if day.year >= 2026:
            raise NotImplementedError(f"no available data for year {day.year}")
        return real(day)

    monkeypatch.setattr(chinese_calendar, "get_holiday_detail", knows_only_until_2025)
    monkeypatch.setattr(chinese_calendar, "is_workday", lambda day: not knows_only_until_2025(day)[0])
    calendar = WorkCalendar()
    assert calendar.day_info(date(2025, 6, 3)).source is DaySource.OFFICIAL
    assert calendar.day_info(date(2026, 6, 3)).source is DaySource.ESTIMATED


def test_years_2000_to_2100_are_covered_and_others_refused(calendar):
    assert calendar.next_workday(date(2000, 1, 1)).year == 2000
    assert calendar.day_info(date(2100, 1, 1)).is_workday is False
    with pytest.raises(ValueError, match="2000–2100"):
        calendar.is_workday(date(1999, 12, 31))
    with pytest.raises(ValueError, match="2000–2100"):
        calendar.add_workdays(date(2100, 12, 20), 30)


def test_span_from_fallback_year_into_official_year_works(calendar):
    # 2003 is estimated, 2004 official: 1 January 2004 (Thursday) is 元旦.
    assert calendar.day_info(date(2003, 12, 31)).source is DaySource.ESTIMATED
    assert calendar.add_workdays(date(2003, 12, 31), 1) == date(2004, 1, 2)


# -- counting working days ---------------------------------------------------------------------


def test_start_day_is_not_counted(calendar):
    # Monday 2026-03-02 plus one working day is Tuesday, not Monday itself.
    assert calendar.add_workdays(date(2026, 3, 2), 1) == date(2026, 3, 3)


def test_workday_deadline_counts_make_up_saturday_2026_10_10(calendar):
    start = date(2026, 9, 30)
    assert calendar.add_workdays(start, 1) == date(2026, 10, 8)
    assert calendar.add_workdays(start, 3) == date(2026, 10, 10)
    assert calendar.add_workdays(start, 4) == date(2026, 10, 12)


def test_deadline_skips_national_day_holiday_and_lands_on_make_up_saturday(calendar):
    assert calendar.deadline(date(2026, 9, 29), 4, LimitUnit.WORKDAY) == Deadline(date(2026, 10, 10), False)


def test_make_up_sunday_2026_09_20_counts_as_a_workday(calendar):
    assert calendar.add_workdays(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_five_workdays_across_spring_festival_2026(calendar):
    # 2/11, 2/12, 2/13, 2/14 (make-up Sat), then the holiday, then 2/24.
    assert calendar.add_workdays(date(2026, 2, 10), 5) == date(2026, 2, 24)


def test_zero_workdays_returns_the_start_even_on_a_holiday(calendar):
    assert calendar.add_workdays(date(2026, 10, 1), 0) == date(2026, 10, 1)


def test_negative_workdays_are_refused(calendar):
    with pytest.raises(ValueError, match="negative"):
        calendar.add_workdays(date(2026, 3, 2), -1)
    with pytest.raises(ValueError, match="negative"):
        calendar.deadline(date(2026, 3, 2), -5, LimitUnit.CALENDAR)


def test_next_workday_is_the_day_itself_when_it_is_a_workday(calendar):
    assert calendar.next_workday(date(2026, 2, 14)) == date(2026, 2, 14)
    assert calendar.next_workday(date(2026, 10, 1)) == date(2026, 10, 8)
    assert calendar.next_workday(date(2026, 12, 31)) == date(2026, 12, 31)
    assert calendar.next_workday(date(2027, 1, 1)) == date(2027, 1, 4)


def test_workdays_between_counts_end_but_not_start(calendar):
    assert calendar.workdays_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert calendar.workdays_between(date(2026, 3, 6), date(2026, 3, 9)) == 1  # Fri → Mon
    assert calendar.workdays_between(date(2026, 3, 6), date(2026, 3, 6)) == 0


def test_workdays_between_is_mirrored_when_end_is_before_start(calendar):
    pairs = [(date(2026, 9, 30), date(2026, 10, 10)), (date(2026, 12, 20), date(2027, 1, 11)),
             (date(2026, 2, 10), date(2026, 2, 24))]
    for start, end in pairs:
        forward = calendar.workdays_between(start, end)
        assert forward > 0
        assert calendar.workdays_between(end, start) == -forward


def test_workdays_between_undoes_add_workdays_across_years(calendar):
    for start in days(date(2026, 9, 25), date(2027, 1, 10)):
        for n in (1, 3, 15, 60):
            assert calendar.workdays_between(start, calendar.add_workdays(start, n)) == n


def test_workdays_overdue(calendar):
    due = date(2026, 10, 9)
    assert calendar.workdays_overdue(due, date(2026, 10, 12)) == 2  # 10/10 make-up Sat, 10/12
    assert calendar.workdays_overdue(due, due) == 0
    assert calendar.workdays_overdue(due, date(2026, 10, 1)) == 0
    assert calendar.workdays_overdue(date(2026, 9, 30), date(2026, 10, 7)) == 0  # only holidays passed


# -- deadlines and provisional (推定) ----------------------------------------------------------


def test_fifteen_workdays_from_2026_12_20_lands_in_2027_and_is_provisional(calendar):
    # Dec 21–25 (5), Dec 28–31 (9), 2027-01-01 元旦, Jan 4–8 (14), Jan 11 (15).
    assert calendar.deadline(date(2026, 12, 20), 15, LimitUnit.WORKDAY) == Deadline(date(2027, 1, 11), True)


def test_deadline_fully_inside_2026_is_not_provisional(calendar):
    # Nov 23–27, Nov 30–Dec 4, Dec 7–11.
    assert calendar.deadline(date(2026, 11, 20), 15, LimitUnit.WORKDAY) == Deadline(date(2026, 12, 11), False)


def test_deadline_on_last_day_of_2026_is_not_provisional(calendar):
    assert calendar.deadline(date(2026, 12, 30), 1, LimitUnit.WORKDAY) == Deadline(date(2026, 12, 31), False)


def test_is_estimated_looks_only_at_days_after_start(calendar):
    assert calendar.is_estimated(date(2026, 1, 1), date(2026, 12, 31)) is False
    assert calendar.is_estimated(date(2026, 12, 31), date(2027, 1, 1)) is True
    assert calendar.is_estimated(date(2027, 1, 1), date(2026, 12, 31)) is True
    assert calendar.is_estimated(date(2027, 1, 1), date(2027, 1, 1)) is False


def test_calendar_day_deadline_landing_on_national_day_moves_to_next_workday(calendar):
    # 30 days after 1 September is 1 October, a holiday until the 7th (民法典 §203).
    assert calendar.deadline(date(2026, 9, 1), 30, LimitUnit.CALENDAR) == Deadline(date(2026, 10, 8), False)


def test_calendar_day_deadline_landing_on_make_up_saturday_stays(calendar):
    assert calendar.deadline(date(2026, 9, 10), 30, LimitUnit.CALENDAR).due == date(2026, 10, 10)


def test_calendar_day_deadline_landing_on_a_workday_stays_even_across_holidays(calendar):
    # 2026-02-10 + 14 days = 2026-02-24; the Spring Festival on the way does not matter.
    assert calendar.deadline(date(2026, 2, 10), 14, LimitUnit.CALENDAR) == Deadline(date(2026, 2, 24), False)


def test_calendar_day_deadline_landing_on_new_year_2027_moves_and_is_provisional(calendar):
    assert calendar.deadline(date(2026, 12, 2), 30, LimitUnit.CALENDAR) == Deadline(date(2027, 1, 4), True)


def test_calendar_day_deadline_from_2026_into_official_days_is_not_provisional_if_it_lands_in_2026(calendar):
    assert calendar.deadline(date(2026, 12, 1), 30, LimitUnit.CALENDAR) == Deadline(date(2026, 12, 31), False)


def test_deadline_accepts_unit_as_stored_string(calendar):
    assert calendar.deadline(date(2026, 9, 30), 3, "workday").due == date(2026, 10, 10)
    assert LIMIT_UNIT_LABELS[LimitUnit("calendar")] == "自然日"
    assert LIMIT_UNIT_LABELS[LimitUnit.WORKDAY] == "工作日"


# -- admin overrides ---------------------------------------------------------------------------


def test_override_making_2027_02_20_a_working_saturday_changes_a_deadline():
    start = date(2027, 2, 18)  # Thursday
    assert WorkCalendar().add_workdays(start, 2) == date(2027, 2, 22)
    calendar = WorkCalendar({date(2027, 2, 20): Override(True, "春节调休上班")})
    assert calendar.add_workdays(start, 2) == date(2027, 2, 20)
    assert calendar.add_workdays(start, 3) == date(2027, 2, 22)
    info = calendar.day_info(date(2027, 2, 20))
    assert info == DayInfo(date(2027, 2, 20), True, "春节调休上班", DaySource.OVERRIDE)


def test_override_beats_chinesecalendar():
    calendar = WorkCalendar({date(2026, 10, 10): Override(False, "临时休息"),
                             date(2026, 10, 1): Override(True)})
    info = calendar.day_info(date(2026, 10, 10))
    assert info == DayInfo(date(2026, 10, 10), False, "临时休息", DaySource.OVERRIDE)
    assert calendar.day_info(date(2026, 10, 1)) == DayInfo(date(2026, 10, 1), True, "", DaySource.OVERRIDE)
    assert calendar.add_workdays(date(2026, 10, 9), 1) == date(2026, 10, 12)
    assert calendar.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 1)


def test_override_beats_fallback():
    calendar = WorkCalendar({date(2027, 1, 1): Override(True, "")})
    assert calendar.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert calendar.day_info(date(2027, 1, 1)).source is DaySource.OVERRIDE


def test_deadline_is_no_longer_provisional_once_overrides_cover_its_days():
    # As if the 2027 schedule had been entered: every day up to the due date decided by an admin.
    published = {day: Override(day.weekday() < 5 and day != date(2027, 1, 1))
                 for day in days(date(2027, 1, 1), date(2027, 1, 31))}
    calendar = WorkCalendar(published)
    assert calendar.deadline(date(2026, 12, 20), 15, LimitUnit.WORKDAY) == Deadline(date(2027, 1, 11), False)
    assert calendar.deadline(date(2026, 12, 20), 40, LimitUnit.WORKDAY).provisional is True


def test_year_whose_days_are_all_overridden_off_is_skipped():
    all_off = {day: Override(False) for day in days(date(2030, 1, 1), date(2030, 12, 31))}
    assert WorkCalendar(all_off).add_workdays(date(2029, 12, 31), 1) == date(2031, 1, 2)


# -- speed -------------------------------------------------------------------------------------


def test_hot_path_does_not_ask_chinesecalendar_again(calendar, monkeypatch):
    calendar.add_workdays(date(2026, 3, 2), 15)  # builds 2026 once

    def refuse(day):
        raise AssertionError(f"chinese_calendar asked about {day} in the hot path")

    monkeypatch.setattr(chinese_calendar, "get_holiday_detail", refuse)
    monkeypatch.setattr(chinese_calendar, "is_workday", refuse)
    for n in range(1, 61):
        calendar.deadline(date(2026, 3, 2), n, LimitUnit.WORKDAY)
    assert calendar.is_workday(date(2026, 10, 10))


def test_unknown_unit_is_refused(calendar):
    with pytest.raises(ValueError, match="unit"):
        calendar.deadline(date(2026, 3, 2), 5, "week")
