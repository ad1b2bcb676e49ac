"""The ACME gateway: every conversation with an ACME CA goes through this package."""
