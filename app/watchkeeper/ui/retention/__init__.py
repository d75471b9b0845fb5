"""Storage lifetime in the window: retention run in the background when due, and the
Storage and retention dialog."""
