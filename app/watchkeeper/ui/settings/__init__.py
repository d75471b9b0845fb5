"""The Settings dialog: every setting in sections, checked as typed, applied on OK."""
