"""One reader per inventory source, and what the spreadsheet readers share."""
