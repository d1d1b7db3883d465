"""Web pages of the licensing app: the finance dashboard of a contract and its what-if forecast.

Every figure comes from the cost engine, never from arithmetic here: the headline figures are
the API's answer to `GET /api/v1/contracts/<id>/cost/` (today's snapshot when the cost job has
written one, else `contract_cost_report`), the what-if is `contract_forecast` as the API's
forecast endpoint runs it, and the dollars of headroom are the ceiling less the cost report of
the same seat counts with the plan left out (the basis of rule 7's headroom in seats).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.generic import RedirectView, TemplateView

from agencies.models import Agency
from agencies.views import PageMixin, nav_context, page_contract
from config.api.permissions import BILLING, FORECAST, READ_FIGURES, has_any_role
from rollout.choices import OPEN_WAVE_STATUSES
from rollout.models import Wave

from . import charts
from .cost_report import CostReport, build_report
from .export_views import export_links
from .forecast import CancelWave, SetQuota, ShiftWave
from .models import Contract
from .pricing import TermsError
from .selectors import billing_lines, contract_cost_inputs
from .services.cost import contract_cost_answer, contract_forecast, today
from .views_billing import paid_mark_undoable


class FinanceHome(PageMixin, RedirectView):
    """`/finance/`: the dashboard of the page's contract (`?contract=<id>` or the active one)."""

    roles = READ_FIGURES

    def get_redirect_url(self, *args, **kwargs):
        return reverse("web:contract", kwargs={"pk": page_contract(self.request).pk})


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Figures:
    """What the dashboard shows: the API's cost answer (`answer`: the report with
    `computed_at`, `stale` and `eligible_employees`), the report computed now from the
    database (`fresh`, with the floor and ceiling crossings), and the report without the plan
    (`no_plan`)."""

    answer: dict
    fresh: CostReport
    no_plan: CostReport

    @property
    def computed_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.answer["computed_at"])


def contract_figures(contract: Contract) -> Figures:
    """The cost figures of the dashboard, as the API answers them now (a stale snapshot is
    recomputed on the embedded default, and marked stale with a broker)."""
    answer = contract_cost_answer(contract=contract)
    inputs = contract_cost_inputs(contract, today())
    fresh = build_report(inputs)
    no_plan = build_report(dataclasses.replace(inputs, planned_cohorts=()))
    return Figures(answer, fresh, no_plan)


def money(value) -> Decimal:
    return Decimal(str(value))


def band_position(answer: dict) -> dict:
    """Where the projected total sits in the band, in words and figures."""
    projected, floor, ceiling = (
        money(answer["projected_total"]),
        money(answer["floor_amount"]),
        money(answer["ceiling_amount"]),
    )
    if answer["over_ceiling"]:
        return {
            "key": "over",
            "label": "Over the ceiling",
            "detail": f"{charts.full_money(projected - ceiling)} over the not-to-exceed ceiling",
        }
    if answer["below_floor"]:
        return {
            "key": "below",
            "label": "Below the floor",
            "detail": f"{charts.full_money(floor - projected)} of the floor would go unused",
        }
    return {
        "key": "inside",
        "label": "Inside the band",
        "detail": f"{charts.full_money(projected - floor)} above the floor, "
        f"{charts.full_money(ceiling - projected)} under the ceiling",
    }


def curve_periods(periods: list[dict]) -> tuple[charts.PeriodAmount, ...]:
    return tuple(
        charts.PeriodAmount(
            start=_date(p["start"]), end=_date(p["end"]), amount=money(p["amount"]), kind=p["kind"]
        )
        for p in periods
    )


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def signed_money(amount: Decimal) -> str:
    """+$1,234.00, −$1,234.00 or $0.00: a change between two figures."""
    if amount == 0:
        return "$0.00"
    return f"{'+' if amount > 0 else '−'}{charts.full_money(abs(amount))}"


def period_rows(periods: list[dict], baseline: list[dict] | None = None) -> list[dict]:
    """The curve's numbers for its table: each period, its charge and the running total."""
    rows, running, base_running = [], Decimal(0), Decimal(0)
    for i, p in enumerate(periods):
        running += money(p["amount"])
        row = {
            **p,
            "start": _date(p["start"]),
            "end": _date(p["end"]),
            "cumulative": running,
            "amount_d": money(p["amount"]),
        }
        if baseline is not None:
            b = baseline[i]
            base_running += money(b["amount"])
            row.update(
                base_amount=money(b["amount"]),
                base_seats=b["billable_seats"],
                base_cumulative=base_running,
            )
        rows.append(row)
    return rows


def curve_svg(
    contract: Contract,
    answer: dict,
    *,
    title: str,
    baseline: dict | None = None,
    chart_id: str = "cost-curve",
) -> str:
    series = []
    if baseline is not None:
        series.append(charts.CurveSeries("Plan", curve_periods(baseline["periods"]), "baseline"))
        series.append(charts.CurveSeries("What-if", curve_periods(answer["periods"]), "whatif"))
    else:
        series.append(
            charts.CurveSeries("Projected", curve_periods(answer["periods"]), "plan", "Plan")
        )
    last = answer["periods"][-1] if answer["periods"] else None
    description = (
        f"Cumulative spend per billing period from {charts.day_label(contract.start_date)} to "
        f"{charts.day_label(contract.end_date)}: periods counted in spend to date as a solid "
        f"line, projected periods dashed. Floor {charts.full_money(money(answer['floor_amount']))}"
        f", ceiling {charts.full_money(money(answer['ceiling_amount']))}. "
        + (
            f"The curve ends at {charts.full_money(money(answer['projected_total']))}. "
            if last
            else ""
        )
        + "The table after the chart lists every point."
    )
    terms = {
        "floor": money(answer["floor_amount"]),
        "ceiling": money(answer["ceiling_amount"]),
        "as_of": _date(answer["as_of"]),
        "term_start": contract.start_date,
        "term_end": contract.end_date,
        "title": title,
        "description": description,
    }
    # Two drawings of one chart: the stylesheet shows the compact one on phones only.
    cliff = answer.get("tier_cliff")
    if cliff:
        terms["cliff"] = (
            _date(cliff["period_start"]),
            f"Tier cliff: +{cliff['seats_to_next_tier']:,} seats",
        )
        terms["description"] += (
            f" A dotted rule marks {charts.day_label(_date(cliff['period_start']))}: "
            f"{cliff['seats_to_next_tier']:,} more seats from then on would reach a cheaper "
            f"tier and change the total by {signed_money(money(cliff['projected_total_change']))}."
        )
    return charts.Svg(
        charts.cost_curve(series, chart_id=chart_id, **terms)
        + charts.cost_curve(series, chart_id=f"{chart_id}-compact", compact=True, **terms)
    )


def chargeback_rows(answer: dict) -> list[dict]:
    """The chargeback lines with agency names and a bar each (the largest share is full)."""
    lines = answer["by_agency"]
    names = dict(
        Agency.objects.filter(code__in=[ln["agency"] for ln in lines if ln["agency"]]).values_list(
            "code", "name"
        )
    )
    total = sum((money(ln["amount"]) for ln in lines), Decimal(0))
    top = max((money(ln["amount"]) for ln in lines), default=Decimal(0))
    rows = []
    for ln in sorted(lines, key=lambda x: (-money(x["amount"]), x["agency"] or "")):
        amount = money(ln["amount"])
        label = ln["agency"] or "Unallocated (central fund)"
        share = (amount / total * 100) if total else Decimal(0)
        rows.append(
            {
                "agency": ln["agency"],
                "name": names.get(ln["agency"], "") if ln["agency"] else "",
                "amount": amount,
                "share": share,
                "bar": charts.stacked_bar(
                    [charts.Segment(float(amount), "charge", label)],
                    scale=float(top) or 1.0,
                    label=f"{label}: {charts.full_money(amount)}, {share:.1f}% of spend",
                    height=16,
                ),
            }
        )
    return rows


def legend(role: str) -> list[tuple[str, str]]:
    items = [(charts.swatch("series-actual", shape="line"), "Spend to date")]
    if role == "whatif":
        items += [
            (charts.swatch("series-projected baseline", shape="dash"), "Current plan"),
            (charts.swatch("series-projected whatif", shape="dash"), "What-if"),
        ]
    else:
        items.append((charts.swatch("series-projected plan", shape="dash"), "Projected"))
    items += [
        (charts.swatch("band-line floor", shape="dash"), "Floor"),
        (charts.swatch("band-line ceiling", shape="dash"), "Ceiling"),
    ]
    return items


# ---------------------------------------------------------------------------------------------
# The what-if form
# ---------------------------------------------------------------------------------------------


class WhatIfForm(forms.Form):
    """Up to one change of each kind, applied in the API's order of the list: shift, quota,
    cancel. Bounds are the API's (`ForecastInputSerializer`)."""

    shift_wave = forms.TypedChoiceField(
        label="Wave to shift", required=False, coerce=int, empty_value=None
    )
    shift_days = forms.IntegerField(
        label="By how many days (negative: earlier)",
        required=False,
        min_value=-3660,
        max_value=3660,
    )
    quota_cohort = forms.TypedChoiceField(
        label="Cohort", required=False, coerce=int, empty_value=None
    )
    quota_seats = forms.IntegerField(
        label="New seat quota", required=False, min_value=0, max_value=10_000_000
    )
    cancel_wave = forms.TypedChoiceField(
        label="Wave to cancel", required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        waves = list(
            Wave.objects.filter(contract=contract, status__in=OPEN_WAVE_STATUSES)
            .prefetch_related("cohorts__agency")
            .order_by("number")
        )
        wave_choices = [("", "— none —")] + [
            (w.pk, f"Wave {w.number}: {w.name} ({w.get_status_display().lower()})") for w in waves
        ]
        cohort_choices = [("", "— none —")]
        self.quotas: dict[int, int] = {}
        for wave in waves:
            for cohort in sorted(wave.cohorts.all(), key=lambda c: c.agency.code):
                cohort_choices.append(
                    (
                        cohort.pk,
                        f"{cohort.agency.code} in wave {wave.number} (quota {cohort.seat_quota:,})",
                    )
                )
                self.quotas[cohort.pk] = cohort.seat_quota
        self.fields["shift_wave"].choices = wave_choices
        self.fields["cancel_wave"].choices = wave_choices
        self.fields["quota_cohort"].choices = cohort_choices

    def clean(self):
        data = super().clean()
        if data.get("shift_wave") and data.get("shift_days") in (None, 0):
            self.add_error("shift_days", "Give the number of days to shift the wave by.")
        if data.get("shift_days") and not data.get("shift_wave"):
            self.add_error("shift_wave", "Choose the wave to shift.")
        if data.get("quota_cohort") and data.get("quota_seats") is None:
            self.add_error("quota_seats", "Give the cohort's new quota.")
        if data.get("quota_seats") is not None and not data.get("quota_cohort"):
            self.add_error("quota_cohort", "Choose the cohort whose quota changes.")
        if not self.errors and not self.changes():
            raise forms.ValidationError("Choose at least one change to the plan.")
        return data

    def changes(self) -> list:
        data = self.cleaned_data
        out: list = []
        if data.get("shift_wave") and data.get("shift_days"):
            out.append(ShiftWave(wave_id=data["shift_wave"], days=data["shift_days"]))
        if data.get("quota_cohort") and data.get("quota_seats") is not None:
            out.append(SetQuota(cohort_id=data["quota_cohort"], seat_quota=data["quota_seats"]))
        if data.get("cancel_wave"):
            out.append(CancelWave(wave_id=data["cancel_wave"]))
        return out

    def summary(self) -> list[str]:
        """The scenario in words, for the result's heading."""
        data, words = self.cleaned_data, []
        labels = dict(self.fields["shift_wave"].choices)
        cohorts = dict(self.fields["quota_cohort"].choices)
        if data.get("shift_wave") and data.get("shift_days"):
            days = data["shift_days"]
            direction = "later" if days > 0 else "earlier"
            words.append(
                f"{labels[data['shift_wave']].split(' (')[0]} onboards "
                f"{abs(days)} day{'s' if abs(days) != 1 else ''} {direction}"
            )
        if data.get("quota_cohort") and data.get("quota_seats") is not None:
            name = cohorts[data["quota_cohort"]].split(" (")[0]
            before = self.quotas.get(data["quota_cohort"])
            words.append(f"{name}: quota {before:,} → {data['quota_seats']:,}")
        if data.get("cancel_wave"):
            words.append(f"{labels[data['cancel_wave']].split(' (')[0]} is cancelled")
        return words


# ---------------------------------------------------------------------------------------------
# The dashboard
# ---------------------------------------------------------------------------------------------


class ContractDashboard(PageMixin, TemplateView):
    """Spend to date, projected and committed totals, the band, headroom in seats and dollars,
    tier-cliff advice, the cost curve, chargeback by agency, the billing lines and the what-if
    form (a GET form: `ContractWhatIf` draws its result)."""

    template_name = "licensing/dashboard.html"
    nav = "finance"
    roles = READ_FIGURES

    def get_contract(self) -> Contract:
        return get_object_or_404(Contract.objects.all(), pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        """Terms the engine cannot price answer like the API's 409 `invalid_terms`, as a page."""
        try:
            return super().dispatch(request, *args, **kwargs)
        except TermsError as exc:
            context = {
                **nav_context(request, self.nav),
                "contract": self.get_contract(),
                "error": str(exc),
            }
            return render(request, "licensing/terms_error.html", context, status=409)

    def draw(self, request, data, *, contract: Contract, **kwargs):
        """The dashboard with the what-if of `data` (the form's fields) drawn over it."""
        form = WhatIfForm(data, contract=contract)
        context = self.get_context_data(contract=contract, form=form, **kwargs)
        if form.is_valid():
            # The plan as it stands, computed now: `contract_forecast` with no change is the
            # same report, so the dashboard's own computation serves as the baseline.
            baseline = context["figures"].fresh
            scenario = contract_forecast(contract=contract, changes=form.changes())
            base, what = baseline.as_json(), scenario.as_json()
            context["whatif"] = {
                "summary": form.summary(),
                "plan": base,
                "plan_crossings": baseline.crossings,
                "result": what,
                "crossings": scenario.crossings,
                "band": band_position(what),
                "plan_band": band_position(base),
                "difference": signed_money(
                    money(what["projected_total"]) - money(base["projected_total"])
                ),
                "committed_difference": signed_money(
                    money(what["committed_total"]) - money(base["committed_total"])
                ),
                "chart": curve_svg(
                    contract,
                    what,
                    baseline=base,
                    title="Cumulative spend: current plan and what-if",
                    chart_id="whatif-curve",
                ),
                "legend": legend("whatif"),
                "rows": period_rows(what["periods"], base["periods"]),
            }
            status = 200
        else:
            status = 400
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = kwargs.get("contract") or self.get_contract()
        figures = contract_figures(contract)
        answer = figures.answer
        headroom_dollars = money(answer["ceiling_amount"]) - figures.no_plan.projected_total
        can_forecast = has_any_role(self.request.user, FORECAST)
        lines = billing_lines(contract)
        user = self.request.user
        context.update(
            contract=contract,
            tiers=list(contract.tiers.all()),
            answer=answer,
            as_of_date=_date(answer["as_of"]),
            figures=figures,
            crossings=figures.fresh.crossings,
            band=band_position(answer),
            headroom_dollars=headroom_dollars,
            no_plan_total=figures.no_plan.projected_total,
            room_after_plan=money(answer["ceiling_amount"]) - money(answer["projected_total"]),
            cliff=answer["tier_cliff"],
            cliff_change=signed_money(money(answer["tier_cliff"]["projected_total_change"]))
            if answer["tier_cliff"]
            else None,
            cliff_start=_date(answer["tier_cliff"]["period_start"])
            if answer["tier_cliff"]
            else None,
            chart=curve_svg(contract, answer, title=f"Cumulative spend of {contract.name}"),
            legend=legend("plan"),
            rows=period_rows(answer["periods"]),
            chargeback=chargeback_rows(answer),
            chargeback_total=sum((money(ln["amount"]) for ln in answer["by_agency"]), Decimal(0)),
            billing_lines=[
                {
                    "line": line,
                    "events": list(line.events.all()),
                    "undoable": paid_mark_undoable(line, list(line.events.all())),
                }
                for line in lines
            ],
            billing_total=sum((ln.amount for ln in lines), Decimal(0)),
            can_mark=has_any_role(user, BILLING),
            billing_exports=export_links(
                user, ("billing-lines", "billing lines", {"contract": contract.number})
            ),
            chargeback_exports=export_links(
                user,
                ("chargeback", "chargeback lines by period", {"contract": contract.number}),
            ),
            can_forecast=can_forecast,
            api_url=f"/api/v1/contracts/{contract.pk}/cost/",
        )
        if can_forecast and "form" not in context:
            context["form"] = WhatIfForm(contract=contract)
        return context


class ContractWhatIf(ContractDashboard):
    """The dashboard with a what-if drawn over the plan's curve. The form is a GET: nothing is
    stored, and the result is an address that can be reloaded, bookmarked and shared. Invalid
    input answers 400 with the form's errors where the result would be. The address without
    any of the form's fields is the dashboard's what-if form; a POST (a page loaded before the
    form became a GET) is sent on to the same address as a GET."""

    http_method_names = ["get", "head", "post"]

    def get(self, request, *args, **kwargs):
        if not has_any_role(request.user, FORECAST):
            raise PermissionDenied("Only rollout managers and finance may run a what-if.")
        contract = self.get_contract()
        if not any(name in request.GET for name in WhatIfForm.base_fields):
            url = reverse("web:contract", kwargs={"pk": contract.pk})
            return HttpResponseRedirect(f"{url}#whatif")
        return self.draw(request, request.GET, contract=contract, **kwargs)

    def post(self, request, *args, **kwargs):
        names = [name for name in WhatIfForm.base_fields if name in request.POST]
        fields = {name: request.POST[name] for name in names}
        response = HttpResponseRedirect(f"{request.path}?{urlencode(fields)}")
        response.status_code = 303
        return response
