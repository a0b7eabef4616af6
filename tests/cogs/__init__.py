"""End-to-end tests of the cogs against the local fake Discord."""
