"""The "New study" page: name, scale, raters per image and a protocol template; its maker becomes coordinator."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotation.protocol_forms import SCALES, bounds
from annotation.study_setup import study_start
from common.errors import DomainError
from moslab_science.rating.protocol import ACR5
from moslab_science.rating.templates import PROTOCOL_TEMPLATES
from studies import selectors as study_selectors


class StudyStartForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="Shown to annotators, e.g. 'Low-light enhancement, March'.")
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="What the study is for; annotators see it on their home page.")
    template = forms.ChoiceField(
        choices=[(key, template.label) for key, template in PROTOCOL_TEMPLATES.items()], widget=forms.RadioSelect,
        initial="au-iqa", label="Protocol template",
        help_text="The rating protocol to start from; the protocol page changes any setting later.")
    scale = forms.ChoiceField(choices=SCALES, widget=forms.RadioSelect, initial=ACR5)
    raters_per_stimulus = forms.IntegerField(**bounds("raters_per_stimulus"), initial=5, label="Raters per image")


@login_required
@require_http_methods(["GET", "POST"])
def study_new(request):
    if not study_selectors.may_create_studies(request.user):
        raise Http404("Only staff and the group of study creators make studies; ask an administrator.")
    form = StudyStartForm(request.POST or None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            study = study_start(by=request.user, **form.cleaned_data)
        except DomainError as error:
            problem = str(error)
        else:
            messages.info(request, f"Study {study.name!r} made, as a draft. Next: add people, upload stimuli, "
                                   "then open it for rating.")
            return redirect("studies:detail", study_id=study.pk)
    context = {"form": form, "templates": PROTOCOL_TEMPLATES.values(), "problem": problem}
    return render(request, "annotation/study_new.html", context, status=400 if form.errors or problem else 200)
