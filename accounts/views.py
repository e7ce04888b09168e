"""The account page: a user's personal API tokens (make one, see its secret once, revoke)."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.models import ApiToken
from common.errors import DomainError

LIFETIMES = [("30", "30 days"), ("90", "90 days"), ("366", "a year"), ("", "until revoked")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'training cluster'.")
    days = forms.ChoiceField(choices=LIFETIMES, required=False, initial="90", label="Valid for")


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    form, secret = TokenForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["days"]
        try:
            made = services.api_token_create(user=request.user, name=form.cleaned_data["name"],
                                             days=int(days) if days else None)
        except DomainError as error:
            form.add_error("name", str(error))
        else:
            secret, form = made.secret, TokenForm()
    rows = ApiToken.objects.filter(user=request.user)
    return render(request, "accounts/tokens.html",
                  {"form": form, "secret": secret, "tokens": rows, "now": timezone.now()})


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        token = services.api_token_revoke(user=request.user, token_id=token_id)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Token {token.name!r} is revoked: scripts using it are refused from now on.")
    return redirect("accounts:tokens")
