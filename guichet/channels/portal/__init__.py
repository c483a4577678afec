"""The citizen portal channel: requests made with the form and exchanges on the tracking page."""
