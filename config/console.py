"""The console's one way to act from a page: a form, an optional confirmation that says what will
happen, the one service call, and a redirect to a page that can be bookmarked.

Every console action (sign off a gate, start a wave, activate a cohort, revoke a seat, mark a
billing line) is an `ActionPage`. It calls the same service as the API, so no rule exists twice,
and the service's refusal (`BusinessRuleError`) is shown as the page's error. The flow:

1. GET shows the form (`template_name`, by default the generic `console/action.html`).
2. POST with invalid input shows the form again (400) with an error summary at `#errors` that
   links to each field; the form posts to `…#errors`, so the browser opens at the summary.
3. POST with valid input, when `preview()` returns something, shows the confirmation step
   (`console/confirm.html`): what will happen (seats, money, headroom before and after), the
   form's values carried as hidden fields, and a "Confirm" button that posts them again with
   `confirmed=yes`. Pages whose action needs no confirmation return `None` from `preview()`.
4. Confirmed (or no preview): `perform()` calls the service and returns the URL to go to;
   the page redirects there (post/redirect/get: a reload never re-posts, never answers 405),
   opened at `#main` unless the URL names its own fragment.
   A `BusinessRuleError` shows the form again (409) with the service's message.

Who may act is `roles` (the API's role tuples) and, for agency data, the caller's agency scope:
`get_subject()` must look the object up through the scope so another agency's id answers 404,
exactly as the API does. Views hold no rule: they validate input, call one service, redirect.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.views.generic import FormView

from agencies.views import PageMixin
from config.errors import BusinessRuleError

CONFIRM_FIELD = "confirmed"


class ReasonField(forms.CharField):
    """A required, written reason: recorded with the change (who, when, why)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Reason")
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("help_text", "Recorded with the change: who did it, when and why.")
        super().__init__(**kwargs)


class ActionPage(PageMixin, FormView):
    """One console action; see the module docstring. Subclasses set `form_class`, `roles`,
    `title`, `submit_label` and implement `get_subject`, `perform` and, when the action needs a
    confirmation, `preview`."""

    template_name = "console/action.html"
    confirm_template_name = "console/confirm.html"
    title = ""
    submit_label = "Save"
    confirm_label = "Confirm"
    intro = ""

    def dispatch(self, request, *args, **kwargs):
        self.subject = None
        return super().dispatch(request, *args, **kwargs)

    def setup_subject(self):
        if self.subject is None:
            self.subject = self.get_subject()
        return self.subject

    # --- the hooks -------------------------------------------------------------------------
    def get_subject(self):
        """The object acted on, looked up within the caller's scope (404 otherwise)."""
        return None

    def preview(self, form) -> dict | None:
        """What will happen, for the confirmation step: `{"lines": [str, ...], "warning": str}`
        (both optional), or None to act without a confirmation."""
        return None

    def perform(self, form) -> str:
        """Call the one service; return the URL of the page to show next."""
        raise NotImplementedError

    def cancel_url(self) -> str:
        return self.request.META.get("HTTP_REFERER") or "/"

    # --- the flow --------------------------------------------------------------------------
    def get(self, request, *args, **kwargs):
        self.setup_subject()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.setup_subject()
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        if request_confirmed(self.request) is False:
            preview = self.preview(form)
            if preview is not None:
                context = self.get_context_data(form=form, preview=preview)
                return self.response_class(
                    request=self.request,
                    template=[self.confirm_template_name],
                    context=context,
                    using=self.template_engine,
                )
        try:
            url = self.perform(form)
        except BusinessRuleError as exc:
            form.add_error(None, exc.detail)
            context = self.get_context_data(form=form, refusal=exc)
            return self.render_to_response(context, status=409)
        return HttpResponseRedirect(landing(url))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "subject": self.subject,
                "title": self.title,
                "intro": self.intro,
                "submit_label": self.submit_label,
                "confirm_label": self.confirm_label,
                "confirm_field": CONFIRM_FIELD,
                "cancel_url": self.cancel_url(),
            }
        )
        return context

    def success(self, text: str) -> None:
        messages.success(self.request, text)


def landing(url: str) -> str:
    """Where an action sends the browser, opened at the page's main content (the success message
    is its first line). Without a fragment of its own, a redirect keeps the one the form posted
    to (`…#errors`, the error summary), which the next page does not have."""
    return url if "#" in url else f"{url}#main"


def request_confirmed(request) -> bool:
    return request.POST.get(CONFIRM_FIELD) == "yes"
