"""django-import-export resources for the roster models, used by the admin's import and export.

Rows are matched on natural keys (agency and bargaining-unit `code`, HR's `employee_number`), and
foreign keys are written as those codes, so a file exported from one environment imports into
another. Imports run in one transaction (`IMPORT_EXPORT_USE_TRANSACTIONS`): a file with any bad
row changes nothing. The employee resource is tuned for a 40,000-row roster; the dedicated
high-speed roster import service lives elsewhere, these stay standard resources.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader, ModelInstanceLoader
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .choices import EmploymentStatus
from .models import Agency, BargainingUnit, Employee


class _NamedLookupMixin:
    """Turns "matching query does not exist" into a row validation error that names the value,
    so the import page shows which code is unknown instead of a traceback."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row=row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                f"No {self.model._meta.verbose_name} has {self.field} {value!r}."
            ) from None


class CodeWidget(_NamedLookupMixin, widgets.ForeignKeyWidget):
    """A foreign key written as the related row's code, looked up per row (small tables)."""


class CachedCodeWidget(_NamedLookupMixin, widgets.ForeignKeyWidget):
    """A foreign key written as the related row's code, every code read in one query per import.

    For small targets the import itself does not create (agencies, bargaining units): the map is
    filled on first use and lives as long as the resource instance, i.e. one import. A plain
    dict, because the library's `CachedForeignKeyWidget` builds a namedtuple class per lookup,
    which cost more than the rest of the row on a 40,000-row roster."""

    _by_code: dict | None = None

    def get_instance_by_lookup_fields(self, value, row, **kwargs):
        if self._by_code is None:
            queryset = self.get_queryset(value, row, **kwargs)
            self._by_code = {str(getattr(o, self.field)): o for o in queryset}
        try:
            return self._by_code[str(value)]
        except KeyError:
            raise self.model.DoesNotExist from None


class ChunkedCachedInstanceLoader(CachedInstanceLoader):
    """`CachedInstanceLoader` that reads the existing rows in chunks of 5,000 keys: a few queries
    instead of one per row, and no single `IN (...)` over 40,000 keys, which SQLite builds with
    the default bound-parameter limit (32,766) would refuse."""

    chunk = 5000

    def __init__(self, resource, dataset=None):
        ModelInstanceLoader.__init__(self, resource, dataset)
        key_name = self.resource.get_import_id_fields()[0]
        self.pk_field = self.resource.fields[key_name]
        self.all_instances = {}
        rows = self.dataset.dict
        if not (rows and self.pk_field.column_name in rows[0]):
            return
        keys = [self.pk_field.clean(row) for row in rows]
        lookup = f"{self.pk_field.attribute}__in"
        for start in range(0, len(keys), self.chunk):
            queryset = self.get_queryset().filter(**{lookup: keys[start : start + self.chunk]})
            self.all_instances.update(
                (self.pk_field.get_value(instance), instance) for instance in queryset
            )


class AgencyResource(resources.ModelResource):
    """Agencies keyed by `code`; `parent` is the secretariat's code. A parent must come before
    its children in the file (or exist already)."""

    parent = fields.Field(
        attribute="parent", column_name="parent", widget=CodeWidget(Agency, field="code")
    )

    class Meta:
        model = Agency
        fields = ("code", "name", "parent", "headcount", "chargeback_code", "is_active")
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = False
        clean_model_instances = True

    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class BargainingUnitResource(resources.ModelResource):
    """Bargaining units keyed by `code`, as labour relations keeps them. The bargaining status
    is exported but never imported: moving it holds or releases the members' seats, which only
    `agencies.services.bargaining_unit_set_status` does."""

    bargaining_status = fields.Field(
        attribute="bargaining_status", column_name="bargaining_status", readonly=True
    )
    status_changed_at = fields.Field(
        attribute="status_changed_at",
        column_name="status_changed_at",
        widget=widgets.DateTimeWidget(),
        readonly=True,
    )

    class Meta:
        model = BargainingUnit
        fields = ("code", "name", "union", "bargaining_status", "status_changed_at")
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = False
        clean_model_instances = True


class EmployeeResource(resources.ModelResource):
    """The HR roster keyed by `employee_number`, with `agency` and `bargaining_unit` as codes.

    Tuned for a 40,000-row file: rows are written with `bulk_create`/`bulk_update` in batches of
    1,000, existing employees are read in a few chunked queries, agency and unit codes in one
    query each. Unchanged rows are skipped (a nightly roster is mostly unchanged) without the
    library's per-row diff (`skip_diff`): the imported fields' values are noted before the row is
    applied and compared after, which costs a tuple, not a deep copy of the instance. Uniqueness
    (employee number, e-mail) is left to the database constraints, checked once per batch,
    instead of two look-ups per row; a clash fails the whole import.

    The bulk writes bypass `save()`, so they write the employee history themselves (who, and
    "admin import <file>"), and after the rows are in, employees whose row says `separated`
    have their open seats revoked through `seats_move_bulk`, with a `core.Job` that names the
    file: the same rules as the fast roster import (`agencies.imports`), which HR's big files
    should use.
    """

    agency = fields.Field(
        attribute="agency", column_name="agency", widget=CachedCodeWidget(Agency, field="code")
    )
    bargaining_unit = fields.Field(
        attribute="bargaining_unit",
        column_name="bargaining_unit",
        widget=CachedCodeWidget(BargainingUnit, field="code"),
    )

    class Meta:
        model = Employee
        fields = (
            "employee_number",
            "email",
            "first_name",
            "last_name",
            "agency",
            "bargaining_unit",
            "job_title",
            "employment_status",
            "training_completed_on",
            "policy_acknowledged_on",
        )
        import_id_fields = ("employee_number",)
        instance_loader_class = ChunkedCachedInstanceLoader
        use_bulk = True
        batch_size = 1000
        skip_unchanged = True
        skip_diff = True
        skip_html_diff = True
        report_skipped = False

    _COMPARED = (
        "email",
        "first_name",
        "last_name",
        "agency_id",
        "bargaining_unit_id",
        "job_title",
        "employment_status",
        "training_completed_on",
        "policy_acknowledged_on",
    )

    def get_queryset(self):
        return super().get_queryset().select_related("agency", "bargaining_unit")

    def before_import(self, dataset, **kwargs):
        user = kwargs.get("user")
        self._actor = user if getattr(user, "is_authenticated", False) else None
        self._reason = f"admin import {kwargs.get('file_name') or 'file'}"
        self._separated: list[str] = []

    def import_instance(self, instance, row, **kwargs):
        instance._roster_before = (
            tuple(getattr(instance, name) for name in self._COMPARED) if instance.pk else None
        )
        super().import_instance(instance, row, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # `skip_diff` leaves no `original` to compare with: the values noted by import_instance
        # stand in for it.
        if import_validation_errors or instance.pk is None:
            return False
        after = tuple(getattr(instance, name) for name in self._COMPARED)
        return after == instance._roster_before

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Field checks (choices, lengths, e-mail format, required values) cost no query, so every
        # row gets them before it joins a bulk batch. Foreign keys were resolved by the widgets,
        # and Django's FK validation would query once per row.
        errors = dict(import_validation_errors or {})
        try:
            instance.clean_fields(exclude={*errors, "agency", "bargaining_unit"})
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        # bulk_update() bypasses auto_now, so the change stamp is set here and written below.
        instance.updated_at = timezone.now()
        if instance.employment_status == EmploymentStatus.SEPARATED and instance.pk:
            self._separated.append(instance.employee_number)

    def get_bulk_update_fields(self):
        return [*super().get_bulk_update_fields(), "updated_at"]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.create_instances and (using_transactions or not dry_run):
            try:
                bulk_create_with_history(
                    self.create_instances,
                    Employee,
                    batch_size=batch_size,
                    default_user=self._actor,
                    default_change_reason=self._reason,
                )
            except Exception as exc:
                self.handle_import_error(result, exc, raise_errors)
            finally:
                self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.update_instances and (using_transactions or not dry_run):
            try:
                bulk_update_with_history(
                    self.update_instances,
                    Employee,
                    self.get_bulk_update_fields(),
                    batch_size=batch_size,
                    default_user=self._actor,
                    default_change_reason=self._reason,
                )
            except Exception as exc:
                self.handle_import_error(result, exc, raise_errors)
            finally:
                self.update_instances.clear()

    def after_import(self, dataset, result, **kwargs):
        # Runs inside the import's transaction: a dry run or a failed import rolls this back too.
        if result.has_errors() or result.has_validation_errors() or not self._separated:
            return
        from agencies.imports.separation import revoke_separated_seats
        from core.choices import JobKind, JobStatus
        from core.models import Job

        job = Job.objects.create(
            kind=JobKind.ROSTER_IMPORT,
            status=JobStatus.SUCCEEDED,
            subject=self._reason[:200],
            requested_by=self._actor,
            dry_run=bool(kwargs.get("dry_run")),
            started_at=timezone.now(),
            finished_at=timezone.now(),
        )
        revoked = revoke_separated_seats(
            employee_ids=Employee.objects.filter(employee_number__in=self._separated).values_list(
                "id", flat=True
            ),
            actor=self._actor,
            reason=f"Employee separated ({self._reason}, job #{job.pk})",
            job=job,
        )
        job.outcome = {"separated": len(self._separated), "seats_revoked": revoked}
        job.save(update_fields=["outcome"])
