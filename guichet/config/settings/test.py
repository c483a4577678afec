"""Test settings: SQLite by default, PostgreSQL when GUICHET_TEST_DATABASE_URL is set (CI)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("GUICHET_DATA_DIR", tempfile.mkdtemp(prefix="guichet-test-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")

from guichet.config.settings.base import *  # noqa: F403
from guichet.config.settings.base import DATA_DIR, database_config

_test_url = os.environ.get("GUICHET_TEST_DATABASE_URL", "")
DATABASES = {
    "default": database_config(_test_url or f"sqlite:///{Path(DATA_DIR) / 'test.sqlite3'}")
}

TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "email"],
    }
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
# No persistent connections: a live-server thread's connection would keep the test database busy
# at teardown on PostgreSQL.
DATABASES["default"]["CONN_MAX_AGE"] = 0
