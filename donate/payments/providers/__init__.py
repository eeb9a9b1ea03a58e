"""One module per payment provider; each keeps its quirks to itself."""
