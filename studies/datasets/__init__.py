"""The dataset wing of the studies app: versions, splits, exports and imports."""
