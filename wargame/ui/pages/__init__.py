"""One module per page (route) of the app."""
