"""Language intelligence (triage, suggestions, personal data). Runs offline, on the server."""
