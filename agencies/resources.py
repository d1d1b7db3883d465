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
    query each. Unchanged rows are skipped (a nightly roster is mostly unchanged), which needs
    the per-row diff, so `skip_diff` stays off; the HTML rendering of that diff is skipped.
    Uniqueness (employee number, e-mail) is left to the database constraints, checked once per
    batch, instead of two look-ups per row; a clash fails the whole import.
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
        skip_diff = False
        skip_html_diff = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("agency", "bargaining_unit")

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

    def get_bulk_update_fields(self):
        return [*super().get_bulk_update_fields(), "updated_at"]
