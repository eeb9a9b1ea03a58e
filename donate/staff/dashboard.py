"""The dashboard: money counted over several ranges, pledges, setbacks, charts and top lists."""

from datetime import date, timedelta

from flask import render_template, request

from donate.ledger.models import utcnow
from donate.staff import bp, pledge_reports, rankings, reports
from donate.staff.charts import bar_chart
from donate.staff.forms import DashboardRangeForm
from donate.staff.reports import Window
from donate.staff.rollup import Rollup
from donate.staff.sql import prepare_for_reports

#: Longer ranges chart one bar per month instead of per day.
MOST_DAILY_BARS = 92


def chosen_window(form: DashboardRangeForm, today: date) -> Window:
    """The range the staff member picked; the last 30 days when none (or a bad one) is given."""
    first, last = form.date_from.data, form.date_to.data
    if not form.validate() or not (first or last):
        first, last = today - timedelta(days=29), today
    first = first or last - timedelta(days=29)
    last = last or max(first, today)
    return Window.of_days(f"{first.isoformat()} to {last.isoformat()}", first, last)


def last_thirteen_months(today: date) -> Window:
    first = date(today.year - 1, today.month, 1)
    return Window.of_days("Last 13 months", first, today)


def money_charts(rollup: Rollup, window: Window) -> list:
    """One chart per currency: per day, or per month for ranges longer than three months."""
    if len(window.days) <= MOST_DAILY_BARS:
        unit, by_currency = "day", rollup.per_day(window)
    else:
        unit, by_currency = "month", rollup.per_month(window)
    return [bar_chart(f"Money counted per {unit}, {currency}", points, unit)
            for currency, points in by_currency.items()]


@bp.get("/")
def dashboard():
    """Every figure is an SQL aggregate; the page states what it counts."""
    form = DashboardRangeForm(request.args)
    today = utcnow().date()
    chosen = chosen_window(form, today)
    prepare_for_reports()
    windows = [*reports.standard_windows(today), chosen]
    recurring_window = last_thirteen_months(today)
    rollup = Rollup.of(reports.span_of([*windows, recurring_window]))
    return render_template(
        "staff/dashboard.html", form=form, chosen=chosen, totals=rollup.totals(windows),
        setbacks=rollup.setbacks(chosen), pledges=pledge_reports.pledge_figures(chosen),
        money_charts=money_charts(rollup, chosen),
        recurring_charts=[bar_chart(f"Recurring revenue per month, {currency}", points, "month")
                          for currency, points in
                          rollup.per_month(recurring_window, monthly_only=True).items()],
        top_sources=rankings.top_sources(chosen), top_donors=rankings.top_donors(chosen),
        definition=reports.DEFINITION, pledge_definition=pledge_reports.DEFINITION)
