"""Local stand-ins for the outside services the app talks to (used only by tests)."""
