"""Backups: ``manage.py backup`` writes one archive of the database and the media folder (attachments) with a
manifest of checksums and row counts; ``manage.py restore`` checks it and brings it back into an empty database.

Its own app, at the top of the layers beside the composition root: an archive spans every app's tables and the media
folder, so no app below could hold it; it reads them through Django's registry and the database, importing none of
them. Nothing imports backups; it has no models.
"""
