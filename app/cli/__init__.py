"""The ``sealbox`` command: the desktop app, and every job headless.

Exit codes: 0 done; 1 refused (bad input, or the provider said no) with one line on stderr naming
the cause and the fix; 2 usage; 3 the provider or a needed service could not be reached (worth
retrying); 70 a bug (with a crash report). With ``--json`` a command prints exactly one JSON
object on stdout.

The package, read from the bottom:

* :mod:`~app.cli.output`: :func:`~app.cli.output.say` (human output, control and bidirectional
  characters escaped, so a request name cannot steer the terminal), ``--json`` output, a request
  printed in full;
* :mod:`~app.cli.parser`: the argument parser;
* :mod:`~app.cli.problems`: what reaches the top unhandled (a full disk, a bad file name, a bug
  and its crash report);
* one module per group of commands: :mod:`~app.cli.requests` (send, list, show, cancel, sync,
  download), :mod:`~app.cli.sign`, :mod:`~app.cli.archive`, :mod:`~app.cli.providers`
  (providers, login, webhooks);
* :mod:`~app.cli.entry`: :func:`main` (the ``sealbox`` console script) and the desktop app's
  start.

Each command imports what it needs when it runs: a command that only reads the store (``list``,
``show``, ``archive search``) never loads asyncio, httpx, pyHanko or PyMuPDF, and the desktop app
shows its window before loading any of them.
"""

from app.cli.entry import main

__all__ = ["main"]
