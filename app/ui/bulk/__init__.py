"""Send to many in the window: the dialog Prepare opens (:mod:`app.ui.bulk.dialog`), its
mapping table and rows table, and the run's actions Requests shares (export, cancel).

Everything goes through the same services as ``sealbox send --rows`` (:mod:`app.services.bulk`).
"""
