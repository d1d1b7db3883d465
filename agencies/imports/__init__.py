"""Roster import: HR's CSV or XLSX file of employees, read as a stream and upserted all or
nothing (`roster.roster_import`). `reading`, `columns` and `values` are shared with the usage
import (`licensing.usage_import`)."""

from .reading import FileRejected, TabularFile
from .roster import RosterError, RosterReport, roster_import

__all__ = ["FileRejected", "RosterError", "RosterReport", "TabularFile", "roster_import"]
