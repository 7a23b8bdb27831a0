# mypy: allow-untyped-calls
"""Whether a value fits its field when stamped: the same fonts and layout as :mod:`stamp`.

A value fits when :func:`app.pdf.lettering.lay_out` places it in the field (less the stamp's
padding) at :data:`MIN_FONT_SIZE` or larger; smaller than that it would not be legible.
"""

from __future__ import annotations

from app.pdf.lettering import MIN_FONT_SIZE, Fonts, StampError, lay_out
from app.pdf.stamp import default_handwriting_font


class FitChecker:
    """Measures values against field sizes; :meth:`close` it (or use it as a context)."""

    def __init__(self) -> None:
        self._fonts = Fonts(default_handwriting_font())

    def problem(self, text: str, width: float, height: float, field: str) -> str | None:
        """None when ``text`` fits ``width`` × ``height`` points; else why not, in words
        (naming the field as ``field``)."""
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        text = "".join(ch for ch in text if ch == "\n" or ch.isprintable())
        if not text.strip():
            return None
        try:
            choice = self._fonts.pick(text, "text", "the field")
        except StampError:
            return f"the value for {field} has characters no font can draw"
        pad = min(2.0, width * 0.08, height * 0.08)
        layout = lay_out(self._fonts, choice, text, "text", width - 2 * pad, height - 2 * pad)
        if layout.size < MIN_FONT_SIZE:
            return (
                f"the value is too long for {field} ({len(text)} characters do not fit "
                f"{width:g} × {height:g} pt)"
            )
        return None

    def close(self) -> None:
        self._fonts.close()

    def __enter__(self) -> FitChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
