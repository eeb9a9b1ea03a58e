"""Donor self-service: a signed, single-use link by email instead of a password."""
