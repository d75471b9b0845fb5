"""Event model, field names, errors, paths and time: the standard library only."""
