"""The app as gunicorn serves it: ``gunicorn --preload -w 5 -b 127.0.0.1:8000 lms.wsgi:app``.

With ``--preload`` the master builds the app once (the compiled catalog, every lesson page rendered
and compressed) and forks the workers, which share that memory copy-on-write instead of each
building and holding its own. Two things keep the sharing true: no database connection is open when
the master forks (each worker opens its own), and ``gc.freeze()`` moves everything built so far out
of the garbage collector's sight, so a worker's collections never write to the shared pages.
"""

from __future__ import annotations

import gc

from lms import create_app, database
from lms.extensions import db

app = create_app()
app.extensions["lms.lesson_pages"].render_all()  # in the master, shared by every worker
with app.app_context():
    for engine in db.engines.values():
        engine.dispose()  # nothing pooled crosses the fork
database.release_held_read()  # nor the connection held for the principal's read
gc.freeze()
