"""What the diagnosis app tells the apps built on it (which it does not import)."""

from django.dispatch import Signal

# Sent, inside the withdrawing transaction, with ``photo_ids``: the photos the shop may no
# longer learn from. Deleting a check or an account needs no signal: its photos' rows go, and
# with them whatever refers to them.
training_consent_withdrawn = Signal()
