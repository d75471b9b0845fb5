"""Storage lifetime: the retention policy carried out (roll-over to the archive, deletion
after retention) and the disk guard."""
