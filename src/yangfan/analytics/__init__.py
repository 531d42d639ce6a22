"""The analytics engine: one place that turns stored data values into figures."""
