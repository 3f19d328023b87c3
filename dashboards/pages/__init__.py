"""One module per page: its layout function and its callbacks (registered in dashboards.app)."""
