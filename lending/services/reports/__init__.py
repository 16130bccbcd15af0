"""Reports for admins and funders, and the dashboard's figures."""
