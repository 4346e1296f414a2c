"""Disputes (SPEC §12): why a figure changed (diff) and the policy as a document (rules doc)."""
