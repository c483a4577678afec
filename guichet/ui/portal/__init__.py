"""The portal screens."""
