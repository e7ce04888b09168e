"""Resumable stimulus uploads from the browser: files arrive in chunks, then the all-or-nothing import runs."""
