"""Settings a benchmark needs to start the site as production does: a random-looking secret key and
a signing key for the Open Badges credentials (``lms.config.validate`` refuses anything less)."""

from __future__ import annotations

import secrets

from lms.certificates.keys import new_key_set

SECRET_KEY = secrets.token_hex(32)
SIGNING_KEY = new_key_set()
