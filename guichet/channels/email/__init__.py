"""The email channel: real-world messages parsed into `InboundMessage` (see README.md)."""
