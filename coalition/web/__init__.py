"""The web pages (public pages now; the partner portal and the members'
wallet build on the same machinery): server-rendered Jinja2 templates in the
reader's language, each page's data from a GraphQL document beside it run
against the API's own schema, forms protected against cross-site requests.

A page is four pieces:

- ``<area>/<page>.graphql``: one named operation, the page's data. It runs as
  the person viewing the page (``documents.PageData.fetch``), or as a
  ``documents.visitor`` on public pages, so the API's own rules decide what
  the page may show. A test validates every document against the schema.
- ``templates/<area>/<page>.html``: extends ``base.html`` (skip link,
  landmarks, the language chooser) and builds forms from ``macros.html``
  (``csrf``, ``field``, ``choice``: labels, and errors beside their fields).
  Texts go through ``_()``; numbers, money and dates through the ``number``,
  ``money``, ``date`` and ``moment`` filters.
- ``<area>/<page>.py``: the handler: picks the language (``pages.page_language``),
  fetches the document, answers with ``pages.html_page``; listed in
  ``router.web_router``.
- the texts in ``locales/<language>/LC_MESSAGES/web.po`` (how to update them:
  ``locales/babel.cfg``).
"""
