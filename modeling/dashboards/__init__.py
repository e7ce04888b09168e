"""Dashboard pages: MOS, raters, predictions and runs, drawn with moslab_science.charts."""
