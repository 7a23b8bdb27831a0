"""The bundle's entry point: the `sealbox` command (no arguments, or a PDF, opens the app)."""

from app.cli import main

raise SystemExit(main())
