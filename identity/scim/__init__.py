"""The SCIM 2.0 service provider at /scim/v2/ (RFC 7643/7644), built on scim2-models."""
