"""Signals other packages subscribe to, so delivery notes never import them.

`note_signed` is sent, inside the push's transaction, when a note is recorded on
a `chargeable` ticket that is not closed, before the note resolves it: billing
connects a receiver in its `init_app` and creates the draft invoice there.
Receivers get the note as sender and keyword arguments `ticket` (the locked ticket
row) and `caller` (the pushing contractor).
A receiver that raises a domain error has its writes rolled back and the refusal
kept on the timeline; the push still succeeds.
"""

from blinker import Namespace

_signals = Namespace()

note_signed = _signals.signal("delivery-note-signed")
