"""Login and password reset with throttling (common.throttle); the admin's login form uses the same rule."""
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from common import throttle

TOO_MANY_REQUESTS = 429


class ThrottledLoginMixin:
    def clean(self):
        username = self.data.get("username", "")
        refusal = throttle.login_refusal(self.request, username=username)
        if refusal:
            raise ValidationError(refusal, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.login_failed(self.request, username=username)
            raise
        throttle.login_succeeded(self.request, username=username)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages,
                      "invalid_login": "Your username and password did not match. Try again."}


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = TOO_MANY_REQUESTS
        return response


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        refusal = throttle.password_reset_refusal(self.request, email=form.cleaned_data["email"])
        if refusal is None:
            return super().form_valid(form)
        form.add_error("email", refusal)
        response = self.form_invalid(form)
        response.status_code = TOO_MANY_REQUESTS
        return response
