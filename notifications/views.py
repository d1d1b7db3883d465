"""Pages of the notifications app, routed under /notifications/ by config/web_urls.py: a person's
email choices, and the webhook settings of rollout managers and finance (their endpoints, each
with its deliveries; add, change, delete, redeliver). Every page that acts is a console
`ActionPage` calling the service the API calls; another person's endpoint answers 404."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from agencies.views import PageMixin
from config.api.permissions import READ
from config.console import ActionPage

from .catalog import EVENT_TYPES, SUBSCRIBABLE_CHOICES
from .choices import EmailMode
from .models import WebhookDelivery, WebhookEndpoint
from .selectors import email_choices_of, webhook_deliveries_of, webhook_endpoints_of
from .services.email import OFF, email_subscriptions_set, email_types_for
from .services.webhooks import (
    OWNER_ROLES,
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_url_refusal,
)

SECRET_KEY = "notifications:new-secret:{pk}"
MODES = [(OFF, "Off"), *EmailMode.choices]
DELIVERIES_PER_PAGE = 50


# --- email choices -------------------------------------------------------------------------------


class PreferencesForm(forms.Form):
    """One choice per event type the person may receive; a type left out is off."""

    def __init__(self, *args, types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in types:
            spec = EVENT_TYPES[kind]
            self.fields[kind] = forms.ChoiceField(
                label=spec.label,
                choices=MODES,
                initial=OFF,
                required=False,
                widget=forms.RadioSelect,
                help_text=spec.description,
            )


class PreferencesPage(ActionPage):
    """A person chooses which events reach them by email, at once or in the daily digest."""

    roles = READ
    nav = "notifications"
    form_class = PreferencesForm
    title = "Email notifications"
    submit_label = "Save my choices"

    @property
    def intro(self) -> str:
        email = self.request.user.email or "no address yet: ask an administrator to add one"
        text = f"Mail goes to {email}. The daily digest is sent once a day."
        if not self.types():
            text += " Your role receives no event by email."
        return text

    def types(self) -> list[str]:
        return email_types_for(self.request.user)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["types"] = self.types()
        kwargs["initial"] = email_choices_of(self.request.user)
        return kwargs

    def perform(self, form) -> str:
        choices = {kind: mode or OFF for kind, mode in form.cleaned_data.items()}
        email_subscriptions_set(user=self.request.user, choices=choices)
        self.success("Your email choices are saved.")
        return reverse("web:notifications")

    def cancel_url(self) -> str:
        return reverse("web:home")


# --- webhooks ------------------------------------------------------------------------------------


class WebhookMixin(PageMixin):
    roles = OWNER_ROLES
    nav = "notifications"

    def endpoint(self) -> WebhookEndpoint:
        return get_object_or_404(WebhookEndpoint, pk=self.kwargs["pk"], owner=self.request.user)


class WebhookListPage(WebhookMixin, TemplateView):
    """A rollout manager's or finance person's webhook endpoints."""

    template_name = "notifications/webhooks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["endpoints"] = list(webhook_endpoints_of(self.request.user))
        return context


class WebhookPage(WebhookMixin, TemplateView):
    """One endpoint: what it receives, whether it works, its deliveries (50 a page, each with
    a redeliver button), and, once, right after it was created, its signing secret."""

    template_name = "notifications/webhook.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if response.context_data.get("secret"):
            response["Cache-Control"] = "no-store"
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        endpoint = self.endpoint()
        page = Paginator(webhook_deliveries_of(endpoint), DELIVERIES_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        context.update(
            {
                "endpoint": endpoint,
                "types": [EVENT_TYPES[t] for t in endpoint.event_types if t in EVENT_TYPES],
                "page": page,
                "secret": self.request.session.pop(SECRET_KEY.format(pk=endpoint.pk), None),
            }
        )
        return context


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text="Where Seatplan POSTs each event: https://… on a public address.",
        widget=forms.URLInput,
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=SUBSCRIBABLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="The event types this endpoint receives.",
    )
    description = forms.CharField(label="Description", max_length=500, required=False)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        refusal = webhook_url_refusal(url)
        if refusal:
            raise forms.ValidationError(refusal)
        return url


def _type_labels(types) -> str:
    return ", ".join(EVENT_TYPES[t].label for t in types if t in EVENT_TYPES)


class WebhookCreatePage(WebhookMixin, ActionPage):
    """Register an endpoint; the next page shows its signing secret, once."""

    form_class = EndpointForm
    title = "Add a webhook endpoint"
    submit_label = "Continue"
    confirm_label = "Add the endpoint"
    intro = (
        "Seatplan signs every message per the Standard Webhooks specification (webhook-id, "
        "webhook-timestamp, webhook-signature) with a secret shown once, after you add it."
    )

    def preview(self, form) -> dict:
        data = form.cleaned_data
        return {
            "lines": [
                f"Seatplan will POST signed messages to {data['url']}.",
                f"It receives: {_type_labels(data['events'])}.",
                "The signing secret is shown once, on the next page: copy it into the receiver.",
            ]
        }

    def perform(self, form) -> str:
        data = form.cleaned_data
        endpoint = webhook_endpoint_create(
            owner=self.request.user,
            url=data["url"],
            event_types=data["events"],
            description=data["description"],
        )
        self.request.session[SECRET_KEY.format(pk=endpoint.pk)] = endpoint.secret
        self.success("The endpoint is added.")
        return reverse("web:webhook", kwargs={"pk": endpoint.pk})

    def cancel_url(self) -> str:
        return reverse("web:webhooks")


class EditForm(EndpointForm):
    is_active = forms.BooleanField(
        label="Enabled",
        required=False,
        help_text="Enabling a disabled endpoint sends what waited for it at once.",
    )


class WebhookEditPage(WebhookMixin, ActionPage):
    """Change what an endpoint receives, where, or enable and disable it."""

    form_class = EditForm
    title = "Change a webhook endpoint"
    submit_label = "Continue"
    confirm_label = "Save the changes"

    def get_subject(self):
        return self.endpoint()

    def get_initial(self):
        endpoint = self.subject
        return {
            "url": endpoint.url,
            "events": endpoint.event_types,
            "description": endpoint.description,
            "is_active": endpoint.is_active,
        }

    def preview(self, form) -> dict:
        data, endpoint = form.cleaned_data, self.subject
        lines = []
        if data["url"] != endpoint.url:
            lines.append(f"Messages go to {data['url']} instead of {endpoint.url}.")
        if sorted(data["events"]) != sorted(endpoint.event_types):
            lines.append(f"It receives: {_type_labels(data['events'])}.")
        if data["is_active"] != endpoint.is_active:
            lines.append("It is enabled again." if data["is_active"] else "It is disabled.")
        if data["description"] != endpoint.description:
            lines.append("Its description changes.")
        return {"lines": lines or ["Nothing changes."]}

    def perform(self, form) -> str:
        data = form.cleaned_data
        webhook_endpoint_update(
            endpoint=self.subject,
            actor=self.request.user,
            url=data["url"],
            event_types=data["events"],
            description=data["description"],
            is_active=data["is_active"],
        )
        self.success("The endpoint is saved.")
        return reverse("web:webhook", kwargs={"pk": self.subject.pk})

    def cancel_url(self) -> str:
        return reverse("web:webhook", kwargs={"pk": self.kwargs["pk"]})


class NoFields(forms.Form):
    """An action that takes no input: the confirmation is the whole conversation."""


class WebhookDeletePage(WebhookMixin, ActionPage):
    form_class = NoFields
    title = "Delete a webhook endpoint"
    submit_label = "Continue"
    confirm_label = "Delete it"

    def get_subject(self):
        return self.endpoint()

    def preview(self, form) -> dict:
        return {
            "lines": [
                f"{self.subject.url} receives nothing more from Seatplan.",
                f"Its record of {self.subject.deliveries.count():,} deliveries is deleted.",
            ],
            "warning": "This cannot be undone.",
        }

    def perform(self, form) -> str:
        webhook_endpoint_delete(endpoint=self.subject, actor=self.request.user)
        self.success("The endpoint is deleted.")
        return reverse("web:webhooks")

    def cancel_url(self) -> str:
        return reverse("web:webhook", kwargs={"pk": self.kwargs["pk"]})


class WebhookRedeliverPage(WebhookMixin, ActionPage):
    """Send one delivery again, with the same webhook-id."""

    form_class = NoFields
    title = "Redeliver an event"
    submit_label = "Continue"
    confirm_label = "Send it again"

    def get_subject(self):
        return get_object_or_404(
            WebhookDelivery.objects.select_related("event", "endpoint"),
            pk=self.kwargs["delivery_id"],
            endpoint=self.endpoint(),
        )

    def preview(self, form) -> dict:
        delivery = self.subject
        return {
            "lines": [
                f"Event {delivery.event.type} #{delivery.event_id} is sent again to "
                f"{delivery.endpoint.url}, with the same webhook-id (evt_{delivery.event_id}).",
                "A receiver that already processed it can recognise it by that id.",
            ]
        }

    def perform(self, form) -> str:
        webhook_delivery_redeliver(delivery=self.subject, actor=self.request.user)
        self.success(f"Event #{self.subject.event_id} is sent again.")
        return reverse("web:webhook", kwargs={"pk": self.kwargs["pk"]})

    def cancel_url(self) -> str:
        return reverse("web:webhook", kwargs={"pk": self.kwargs["pk"]})
