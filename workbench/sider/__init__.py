"""One view per page: a function returning one frozen result for a page, scoped and suppressed for the principal; called by the page's cache and the matching CLI command."""
