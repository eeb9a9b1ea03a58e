"""Rendering emails from templates/email/, and the notices the ledger sends."""
