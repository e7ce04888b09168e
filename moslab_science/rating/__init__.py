"""Rating protocols, ordering, cross-checks and rater simulation: plain Python."""
