"""Challenge scoring, prediction files, bundles and fact sheets: plain Python."""
