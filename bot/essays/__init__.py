"""The essay domain: pure functions over dataclasses, no I/O and no Discord."""
