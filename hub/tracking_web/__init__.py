"""The public tracking page: a citizen's complaint status by tracking number (``khidmat tracking``)."""
