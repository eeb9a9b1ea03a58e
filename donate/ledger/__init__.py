"""The ledger: donations, pledges, donors and the provider events that move them."""
