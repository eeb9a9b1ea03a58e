"""Payment providers behind one interface, and the webhook inbox they deliver to."""
