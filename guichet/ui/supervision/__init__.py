"""The supervisor wallboard (mounted under /supervision/)."""
