"""JSON API of the studies app: studies and their members, stimuli, MOS computations and screening overrides.

Each view validates its input with a serializer, scopes the study to the user asking (a role it does not hold
answers 403 with the same message whether the study exists or not), makes one service call and serialises.
"""
