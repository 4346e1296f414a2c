"""settle — month-end settlement of a hospital marketing department's pay from spreadsheets."""

__version__ = "0.1.0"
