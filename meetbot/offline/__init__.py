"""The pipeline without a meeting: recorded videos (one per participant) and a turns file."""
