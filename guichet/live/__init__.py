"""Real-time events: typed, id-only events published on commit and streamed to browsers (SSE)."""
