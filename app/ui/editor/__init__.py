"""The request editor: the page scene and the panels around it (recipients, anchors, field
properties, request details, pre-send check). Every panel mirrors the editor document and changes
it only through :class:`app.ui.commands.Editing`."""
