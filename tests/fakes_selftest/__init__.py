"""Tests of the test doubles in tests/fakes (no app involved)."""
