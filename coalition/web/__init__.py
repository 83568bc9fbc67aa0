"""The web pages (public pages now; the partner portal and the members'
wallet build on the same machinery): server-rendered Jinja2 templates in the
visitor's language, each page's data from a GraphQL document beside it run
against the API's own schema, forms protected against cross-site requests."""
