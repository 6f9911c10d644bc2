"""The signed preference link and the minimal preference page."""
