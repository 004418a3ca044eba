"""A server whose import raises (a bug in module code)."""

raise RuntimeError("configuration missing: DATABASE_URL")
