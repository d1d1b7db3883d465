"""Cost rules amended (issue 12): persons, not seats, are billed (rule 2); the minimum's shortfall
follows the contract's `shortfall_allocation` (rule 10); billing lines reconcile (persons, seats
charged, unit price or graduated, unallocated part, explanation); snapshots carry the fingerprint
of their inputs (rule 11)."""

from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("licensing", "0007_billingperiodevent")]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="shortfall_allocation",
            field=models.CharField(
                choices=[
                    ("central", "Central fund (agencies pay what their persons cost)"),
                    ("pro_rata", "Pro rata (agencies share the whole charge)"),
                ],
                default="central",
                help_text="Who carries the part of a charge the billable minimum adds (cost rule 10).",
                max_length=16,
            ),
        ),
        migrations.RenameField(
            model_name="billingperiod", old_name="billable_seats", new_name="billable_persons"
        ),
        migrations.AlterField(
            model_name="billingperiod",
            name="billable_persons",
            field=models.PositiveIntegerField(
                help_text="Persons billable in the period, each counted once (cost rule 2)."
            ),
        ),
        migrations.AddField(
            model_name="billingperiod",
            name="charged_seats",
            field=models.PositiveIntegerField(
                default=0, help_text="Seats the invoice prices: billable persons, or the minimum."
            ),
        ),
        migrations.AlterField(
            model_name="billingperiod",
            name="unit_price",
            field=models.DecimalField(
                blank=True, decimal_places=4, help_text="Null: graduated.", max_digits=10, null=True
            ),
        ),
        migrations.AddField(
            model_name="billingperiod",
            name="unallocated_amount",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                help_text="Booked to the central fund (cost rule 10).",
                max_digits=14,
            ),
        ),
        migrations.AddField(
            model_name="billingperiod",
            name="explanation",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="costsnapshot",
            name="fingerprint",
            field=models.CharField(
                blank=True,
                help_text="Fingerprint of the inputs when computed: a different one now means stale.",
                max_length=64,
            ),
        ),
    ]
