"""Use cases: load rows, ask the rules, write rows and the audit event in one transaction."""
