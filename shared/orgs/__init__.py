"""The organisations feature's shared half: its keys, the roster and duty lookups, the rota.

Other functions read who is staff and who is on duty through these modules (read-only
access to the orgs table); only `functions/orgs` writes it.
"""
