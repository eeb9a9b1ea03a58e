"""The newsletter: double opt-in sign-up, confirmation by email, one-click unsubscribe."""
