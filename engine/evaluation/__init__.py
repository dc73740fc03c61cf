"""Sample quality and 2-D mode metrics."""
