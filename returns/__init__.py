"""Returns: return requests, their lines and milestones from request to refund."""
