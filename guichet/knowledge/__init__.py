"""Knowledge: articles, FAQ entries and reply templates (per organization and a shared library)."""
