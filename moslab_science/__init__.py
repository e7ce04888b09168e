"""moslab's science: plain Python (no Django, no app) for MOS, media checks, datasets, metrics, charts and models."""
