"""Reading log files: finding the format from the content, parsing, and importing into the store."""
