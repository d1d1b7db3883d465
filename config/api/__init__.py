"""What every REST endpoint shares: the one error shape, authentication by session or hashed API
key, role permissions with agency scope, pagination, throttling, conditional GET helpers, the
OpenAPI conventions and the health check. The apps' `api/` packages hold only their resources."""
