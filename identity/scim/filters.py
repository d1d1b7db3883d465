"""SCIM filters (RFC 7644 §3.4.2.2) as database queries.

The filters identity providers send before every create and update are answered from indexed
columns: `userName`, `externalId`, `id`, `active`, `displayName`, the work address
(`emails[type eq "work"].value`, Entra ID's matching filter), `meta.created`/`meta.lastModified`,
and a group's `members.value`. Any other filter is still answered, exactly, by scim2-models'
own evaluator over the stored resources (`Unsupported` tells the caller to do so): slower, but
never a wrong answer and never a refusal of a valid filter.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.db.models import Q
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from .mapping import comparison_key
from .provider import ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA


class Unsupported(Exception):
    """The filter names something no column holds: evaluate it on the resources instead."""


_STRING_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}
_ORDER_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}


def _name(attr_path: AttrPath, own_schema: str) -> str:
    """The attribute's dotted name, lower-cased, with the resource's own schema URN dropped."""
    uri = (attr_path.uri or "").lower()
    if uri and uri not in (own_schema.lower(), ENTERPRISE.lower()):
        raise Unsupported
    prefix = "enterprise:" if uri == ENTERPRISE.lower() else ""
    name = attr_path.attr.lower()
    if attr_path.sub_attr:
        name += "." + attr_path.sub_attr.lower()
    return prefix + name


def _string(column: str, op: CompareOperator, value, *, fold: bool) -> Q:
    if not isinstance(value, str):
        return Q(pk__in=[])
    operand = comparison_key(value) if fold else value
    if op == CompareOperator.ne:
        return ~Q(**{f"{column}__exact": operand})
    return Q(**{f"{column}__{_STRING_LOOKUPS[op]}": operand})


_CI_LOOKUPS = {
    CompareOperator.eq: "iexact",
    CompareOperator.co: "icontains",
    CompareOperator.sw: "istartswith",
    CompareOperator.ew: "iendswith",
}


def _text_ci(column: str, op: CompareOperator, value) -> Q:
    """A case-insensitive text column compared as it is stored (no ordering operators)."""
    if not isinstance(value, str):
        return Q(pk__in=[])
    if op == CompareOperator.ne:
        return ~Q(**{f"{column}__iexact": value})
    if op not in _CI_LOOKUPS:
        raise Unsupported
    return Q(**{f"{column}__{_CI_LOOKUPS[op]}": value})


def _boolean(column: str, op: CompareOperator, value) -> Q:
    if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
        raise Unsupported
    return Q(**{column: value}) if op == CompareOperator.eq else ~Q(**{column: value})


def _datetime(column: str, op: CompareOperator, value) -> Q:
    from django.utils.dateparse import parse_datetime

    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise Unsupported
    if op == CompareOperator.ne:
        return ~Q(**{column: moment})
    if op not in _ORDER_LOOKUPS:
        raise Unsupported
    return Q(**{f"{column}__{_ORDER_LOOKUPS[op]}": moment})


def _identifier(column: str, op: CompareOperator, value) -> Q:
    if op not in (CompareOperator.eq, CompareOperator.ne):
        raise Unsupported
    try:
        key = uuid.UUID(str(value))
    except ValueError:
        return Q(pk__in=[]) if op == CompareOperator.eq else Q()
    return Q(**{column: key}) if op == CompareOperator.eq else ~Q(**{column: key})


class _QueryVisitor(FilterVisitor[Q]):
    schema = ""
    comparisons: dict[str, Callable[[CompareOperator, object], Q]] = {}
    present: dict[str, Q] = {}

    def visit_comparison(self, node: Comparison) -> Q:
        handler = self.comparisons.get(_name(node.attr_path, self.schema))
        if handler is None:
            raise Unsupported
        return handler(node.op, node.value)

    def visit_present(self, node: Present) -> Q:
        found = self.present.get(_name(node.attr_path, self.schema))
        if found is None:
            raise Unsupported
        return found

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        parts = [self.visit(term) for term in node.terms]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if node.op == LogicalOperator.and_ else combined | part
        return combined

    def visit_value_path(self, node: ValuePath) -> Q:
        raise Unsupported


def _work_email_value(node: ValuePath) -> str | None:
    """`emails[type eq "work" and value eq "x"]` (how scim2-models reads Entra's
    `emails[type eq "work"].value eq "x"`): the address, else None."""
    selection = node.val_filter
    if not (isinstance(selection, LogicalExpr) and selection.op == LogicalOperator.and_):
        return None
    terms = selection.terms
    kind = value = None
    for term in terms:
        if not (isinstance(term, Comparison) and term.op == CompareOperator.eq):
            return None
        name = _name(term.attr_path, USER_SCHEMA)
        if name == "type" and isinstance(term.value, str):
            kind = term.value.lower()
        elif name == "value" and isinstance(term.value, str):
            value = term.value
        else:
            return None
    return value if kind == "work" and value is not None else None


class UserQuery(_QueryVisitor):
    """A filter on /Users as a `Q` over `ScimUser`."""

    schema = USER_SCHEMA
    comparisons = {
        "username": lambda op, v: _string("user_name_key", op, v, fold=True),
        "externalid": lambda op, v: _string("external_id", op, v, fold=False),
        "displayname": lambda op, v: _text_ci("display_name", op, v),
        "id": lambda op, v: _identifier("id", op, v),
        "active": lambda op, v: _boolean("active", op, v),
        "meta.created": lambda op, v: _datetime("created_at", op, v),
        "meta.lastmodified": lambda op, v: _datetime("updated_at", op, v),
    }
    present = {
        "username": Q(),
        "id": Q(),
        "externalid": ~Q(external_id=""),
        "displayname": ~Q(display_name=""),
        "active": Q(),
    }

    def visit_value_path(self, node: ValuePath) -> Q:
        if _name(node.attr_path, self.schema) != "emails" or node.sub_attr:
            raise Unsupported
        address = _work_email_value(node)
        if address is None:
            raise Unsupported
        return Q(work_email=comparison_key(address))


def _member(op: CompareOperator, value) -> Q:
    if op != CompareOperator.eq:
        raise Unsupported
    try:
        key = uuid.UUID(str(value))
    except ValueError:
        return Q(pk__in=[])
    return Q(memberships__user_id=key) | Q(memberships__member_group_id=key)


class GroupQuery(_QueryVisitor):
    """A filter on /Groups as a `Q` over `ScimGroup`."""

    schema = GROUP_SCHEMA
    comparisons = {
        "displayname": lambda op, v: _text_ci("display_name", op, v),
        "externalid": lambda op, v: _string("external_id", op, v, fold=False),
        "id": lambda op, v: _identifier("id", op, v),
        "members": _member,
        "members.value": _member,
        "meta.created": lambda op, v: _datetime("created_at", op, v),
        "meta.lastmodified": lambda op, v: _datetime("updated_at", op, v),
    }
    present = {"displayname": Q(), "id": Q(), "externalid": ~Q(external_id="")}


def filter_query(visitor: type[_QueryVisitor], scim_filter) -> Q:
    """The filter as a `Q`; raises `Unsupported` when some part of it needs the resources."""
    return visitor().visit(scim_filter.ast)
