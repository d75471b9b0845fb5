"""The logging plan: what to log, how long to keep it, how it arrives, and proof that it does."""
