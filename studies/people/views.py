"""The people page of a study (members, CSV, invitation links, who has done what) and the page a link opens."""
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.body_limits import body_limit
from common.errors import DomainError
from common.views import scoped
from studies import selectors, services
from studies.models import Membership
from studies.people import selectors as people_selectors
from studies.people import services as people_services

Role = Membership.Role
MAX_MEMBERS_CSV_BYTES = 1024 * 1024
NEW_LINK = "new_invitation_link"  # the session key holding a just-made link until the people page shows it once


class InvitationForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ANNOTATOR)
    days = forms.IntegerField(min_value=1, max_value=people_services.MAX_INVITATION_DAYS, initial=14,
                              label="Valid for (days)")
    max_uses = forms.IntegerField(min_value=1, required=False, label="At most (people)",
                                  help_text="Empty: anyone with the link, until it expires.")
    note = forms.CharField(max_length=200, required=False, help_text="Who the link is for (only you see it).")


def _coordinated(request, study_id: int):
    return selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])


def _people(study_id: int):
    return redirect("studies:people", study_id=study_id)


def _say_problem(request, error: DomainError) -> None:
    messages.error(request, str(error))  # the message, then every problem on its own line


@login_required
@require_GET
@scoped
def people(request, study_id: int):
    study = _coordinated(request, study_id)
    activity, stimuli = people_selectors.member_activity(study=study)
    invitations = [(invitation, people_selectors.invitation_state(invitation))
                   for invitation in people_selectors.invitations_for_study(study=study)]
    context = {
        "study": study, "activity": activity, "stimuli": stimuli, "roles": Role.choices,
        "invitations": invitations, "invitation_form": InvitationForm(),
        "new_link": request.session.pop(NEW_LINK, None),
    }
    return render(request, "studies/people.html", context)


@login_required
@require_POST
@scoped
def member_add(request, study_id: int):
    study = _coordinated(request, study_id)
    try:
        membership = people_services.member_add(study=study, identifier=request.POST.get("user", ""),
                                                role=request.POST.get("role", ""))
    except DomainError as error:
        _say_problem(request, error)
    else:
        messages.info(request, f"{membership.user.username} is a {membership.role} of the study.")
    return _people(study.pk)


@login_required
@require_POST
@scoped
@body_limit(MAX_MEMBERS_CSV_BYTES)
def members_import(request, study_id: int):
    study = _coordinated(request, study_id)
    upload = request.FILES.get("members")
    try:
        if upload is None:
            raise DomainError("Choose a CSV file first (columns user, role).")
        if upload.size > MAX_MEMBERS_CSV_BYTES:
            raise DomainError(f"The CSV is over {MAX_MEMBERS_CSV_BYTES // 1024} KB; split it.")
        added = people_services.members_import_csv(study=study, data=upload.read())
    except DomainError as error:
        _say_problem(request, error)
    else:
        messages.info(request, f"{added} new role{'s' if added != 1 else ''} given (roles held already are unchanged).")
    return _people(study.pk)


@login_required
@require_POST
@scoped
def member_remove(request, study_id: int, membership_id: int):
    study = _coordinated(request, study_id)
    membership = selectors.membership_get(study=study, membership_id=membership_id)
    try:
        services.membership_remove(membership=membership)
    except DomainError as error:
        _say_problem(request, error)
    else:
        messages.info(request, f"{membership.user.username} is no longer a {membership.role}; their votes stay.")
    return _people(study.pk)


@login_required
@require_POST
@scoped
def invitation_create(request, study_id: int):
    study = _coordinated(request, study_id)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "No link was made: " + "; ".join(
            f"{form.fields[name].label or name}: {' '.join(errors)}" for name, errors in form.errors.items()))
        return _people(study.pk)
    made = people_services.invitation_create(study=study, by=request.user, **form.cleaned_data)
    request.session[NEW_LINK] = request.build_absolute_uri(reverse("studies:join", args=[made.secret]))
    return _people(study.pk)


@login_required
@require_POST
@scoped
def invitation_revoke(request, study_id: int, invitation_id: int):
    study = _coordinated(request, study_id)
    invitation = people_selectors.invitation_get(study=study, invitation_id=invitation_id)
    people_services.invitation_revoke(invitation=invitation)
    messages.info(request, f"The link {invitation.prefix}… no longer works; those who joined keep their role.")
    return _people(study.pk)


@require_http_methods(["GET", "POST"])
def join(request, secret: str):
    """What a link gives; signed in: join with one press; signed out: sign up (or sign in) first."""
    try:
        invitation = people_selectors.invitation_get_by_secret(secret=secret)
    except DomainError as error:
        raise Http404(str(error)) from None
    problem = people_selectors.invitation_problem(invitation)
    signup = UserCreationForm(request.POST or None) if not request.user.is_authenticated else None
    if request.method == "POST" and not problem:
        if signup is not None and not signup.is_valid():
            return _join_page(request, invitation, problem, signup, status=400)
        try:
            with transaction.atomic():
                user = signup.save() if signup is not None else request.user
                people_services.invitation_accept(secret=secret, user=user)
        except DomainError as error:
            return _join_page(request, invitation, str(error), signup, status=400)
        if signup is not None:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.info(request, f"You joined {invitation.study.name} as {invitation.role}.")
        return redirect("studies:home")
    return _join_page(request, invitation, problem, signup, status=410 if problem else 200)


def _join_page(request, invitation, problem, signup, *, status: int):
    context = {"invitation": invitation, "problem": problem, "signup": signup,
               "login_url": f"{reverse('login')}?next={request.path}"}
    return render(request, "studies/join.html", context, status=status)
