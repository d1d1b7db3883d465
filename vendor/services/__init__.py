"""Writes of the vendor app: provisioning intents and their drain (provisioning.py), the circuit
breaker (circuit.py), the sync job (sync.py) and the reconciliation (reconcile.py)."""

from .circuit import circuit_close
from .provisioning import (
    provisioning_drain,
    provisioning_intents_record,
    provisioning_retry_failed,
    seat_provisioning_retry,
)
from .reconcile import contract_reconcile, reconciliation_request
from .sync import vendor_sync

__all__ = [
    "circuit_close",
    "contract_reconcile",
    "provisioning_drain",
    "provisioning_intents_record",
    "provisioning_retry_failed",
    "reconciliation_request",
    "seat_provisioning_retry",
    "vendor_sync",
]
