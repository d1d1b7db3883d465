"""Admin for the shared plumbing: long jobs and outbox events, both only watched here (the jobs
and the services write them)."""

from django.contrib import admin

from .models import Event, Job


class ViewOnlyAdminMixin:
    """Listed and viewable, never added, changed or deleted through the admin: rows that only the
    services write (every app's read-only admins use it)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """The progress record of a long job, for watching it: nothing here starts or edits one."""

    list_display = (
        "id",
        "kind",
        "status",
        "subject",
        "cohort",
        "requested_by",
        "progress",
        "dry_run",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "status", "dry_run")
    list_select_related = ("cohort__wave", "cohort__agency", "requested_by")
    search_fields = ("subject",)
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "kind",
        "status",
        "subject",
        "cohort",
        "requested_by",
        "dry_run",
        "created_at",
        "queued_at",
        "requeued",
        "started_at",
        "finished_at",
        "claimed_by",
        "heartbeat_at",
        "done",
        "total",
        "progress",
        "outcome",
        "errors",
    )
    readonly_fields = fields

    @admin.display(description="Progress")
    def progress(self, job: Job) -> str:
        if not job.total:
            return "—"
        return f"{job.done * 100 // job.total}% ({job.done:,}/{job.total:,})"


@admin.register(Event)
class EventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """The outbox, read-only: what happened, when, and when it was handed to the consumers."""

    list_display = ("id", "type", "subject", "created_at", "dispatched_at")
    list_filter = ("type",)
    search_fields = ("subject",)
    ordering = ("-id",)
    show_full_result_count = False
    fields = ("type", "subject", "payload", "agency_ids", "actor", "created_at", "dispatched_at")
    readonly_fields = fields
