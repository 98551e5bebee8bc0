"""Vendored GDPdU material for the Z3 export (see README.md)."""

from pathlib import Path

DTD_NAME = "gdpdu-01-09-2004.dtd"
DTD_PATH = Path(__file__).with_name(DTD_NAME)
