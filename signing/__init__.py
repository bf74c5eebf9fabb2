"""Signed documents: the agency's PAdES signatures on what the portal issues, behind providers."""
