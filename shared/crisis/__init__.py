"""Crisis follow-up code more than one feature needs: which signal raises which severity.

Nothing is imported here, so a function pays only for the module it uses.
"""
