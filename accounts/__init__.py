"""Accounts: what a user holds for themselves (personal API tokens), not tied to any study."""
