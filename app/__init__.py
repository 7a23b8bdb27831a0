"""Sealbox: send PDFs for signature and keep the signed originals."""

__version__ = "0.1.0"
