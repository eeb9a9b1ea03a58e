"""The ledger: donations, pledges, donors and the provider events that move them."""

# The tallies follow every donation change from the moment donations can be written.
from donate.ledger import tally_events  # noqa: F401
