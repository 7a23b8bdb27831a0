"""Send to many: one prepared document to every row of a sheet (CSV or .xlsx).

``sheet`` reads the rows, ``mapping`` says which column fills what, ``checks`` checks every
row before anything is sent, and ``run`` records the run and sends each row as an ordinary
request, exactly once however it is interrupted.
"""
