"""The bundle's entry point: the `sealbox` command (no arguments, or a PDF, opens the app)."""

import multiprocessing

if __name__ == "__main__":
    # A render process (or its fork server) started by the app runs this same executable:
    # freeze_support runs it as that and exits, before the command line is read.
    multiprocessing.freeze_support()

    from app.cli import main

    raise SystemExit(main())
