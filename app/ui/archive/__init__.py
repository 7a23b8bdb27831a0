"""The archive place: every archived request, searchable and verifiable with no network.

- :mod:`~app.ui.archive.model`: the archived requests and their verification badges.
- :mod:`~app.ui.archive.table`: the table and its badge pills.
- :mod:`~app.ui.archive.preview`: the signed PDF or certificate of the selected request.
- :mod:`~app.ui.archive.verifying`: the verification runner.
- :mod:`~app.ui.archive.exporting`: export to a zip, reindex from the folder.
- :mod:`~app.ui.archive.page`: the place itself: filters, list, preview and actions.
"""
