"""Read by gunicorn from the folder it starts in (the image's /app, `make run`): its hooks, wherever gunicorn is
started from here, with no flag to forget. They live in supportdesk/gunicorn.py."""

from supportdesk.gunicorn import child_exit, on_starting

__all__ = ["child_exit", "on_starting"]
