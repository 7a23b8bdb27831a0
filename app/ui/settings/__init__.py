"""The Settings dialog (:class:`~app.ui.settings.dialog.SettingsDialog`).

The modules, read from the bottom: ``checks`` (why an input's value cannot be used, Qt-free),
``fields`` (an input with its notes and problem; a credential; a plain setting), ``general``
(the General page), ``provider`` (one page per signature service, from its registry entry),
``dialog`` (the dialog: the pages, Test connection, OK).
"""
