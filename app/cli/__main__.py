"""``python -m app.cli``: the same as the ``sealbox`` command."""

from app.cli.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
