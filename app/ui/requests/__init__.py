"""The requests place: every request Sealbox has sent, newest first, with its details.

- :mod:`~app.ui.requests.model`: the table model, read from the store a page at a time.
- :mod:`~app.ui.requests.filters`: the status and date choices of the filter bar.
- :mod:`~app.ui.requests.table`: the table and its status pills.
- :mod:`~app.ui.requests.details`: the selected request's details pane.
- :mod:`~app.ui.requests.page`: the place itself: filter bar, table, details and the actions.
"""
