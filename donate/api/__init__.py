"""The machine-readable description of the JSON endpoints (GET /openapi.json)."""
