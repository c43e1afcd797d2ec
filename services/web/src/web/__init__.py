"""The city's desks in a browser: pages for citizens and staff over the services' APIs."""
