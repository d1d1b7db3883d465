"""Writes of the licensing app: the cost engine (`cost`), the seat lifecycle (`seats`) and the
coalesced scheduling of cost recomputes (`scheduling`)."""
