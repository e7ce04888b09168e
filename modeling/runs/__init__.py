"""Training and benchmark runs: launch, execution on the gpu queue, run pages and API."""
