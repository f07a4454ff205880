"""The package version, one place for it (the package and the facts' meta read it)."""

__version__ = "0.1.0"
