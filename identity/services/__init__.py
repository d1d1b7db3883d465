"""Writes of the identity app: sign-in accounts and their roles, SCIM tokens, and the SCIM users
and groups with what they mean for the roster."""
