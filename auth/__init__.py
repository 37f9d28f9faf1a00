"""Users, roles, scopes, password hashing, sign-in throttling and the audit log (ops store)."""
