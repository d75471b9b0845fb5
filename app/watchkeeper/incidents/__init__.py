"""Incidents and the PDF summary written for the owner, insurer or police."""
