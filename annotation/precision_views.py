"""The coordinator's planning page: precision per stimulus and allocation of more ratings."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from annotation import precision
from common.errors import DomainError
from common.views import scoped
from studies import selectors as study_selectors
from studies.models import Membership


class PlanningForm(forms.Form):
    target = forms.FloatField(min_value=0.01, initial=0.3, label="Target 95% CI half-width")
    max_new = forms.IntegerField(min_value=1, max_value=100_000, initial=50, required=False,
                                 label="Ratings to assign")


@login_required
@scoped
def planning(request, study_id: int):
    study = study_selectors.study_get_for_user(study_id=study_id, user=request.user,
                                               roles=[Membership.Role.COORDINATOR])
    form = PlanningForm(request.POST or request.GET or None)
    plan = []
    if form.is_valid():
        target = form.cleaned_data["target"]
        try:
            if request.method == "POST":
                result = precision.assignment_extend_for_precision(
                    study=study, target_half_width=target, max_new=form.cleaned_data["max_new"] or 50
                )
                note = "" if result.target_met else " The target is not met yet."
                if result.unplaceable:
                    note += f" No annotator left for: {', '.join(result.unplaceable)}."
                messages.info(request, f"Assigned {result.created} more ratings.{note}")
                return redirect(f"{request.path}?target={target}")
            plan = precision.precision_plan(study=study, target_half_width=target)
        except DomainError as error:
            messages.error(request, str(error))
    missing = sum(max(0, (item.raters_needed or 0) - item.assigned) for item in plan)
    return render(request, "annotation/planning.html",
                  {"study": study, "form": form, "plan": plan, "missing": missing})
