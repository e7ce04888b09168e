"""Dashboard figures as plain functions: plotly figure dicts plus the CSV of their data (no Django)."""
