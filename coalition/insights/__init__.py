"""What the programme is doing for each shop and for the town: the insights contract's figures.

The pure rules, no I/O, each the reference its SQL version is tested against:
``kpis``, ``cohorts``, ``segments`` (with the lapsed list), ``cross_shop``,
``baskets``, ``enrolment`` (before/after joining and ROI) and ``experiments``
(holdout draw and statistics), over the shapes in ``model`` and the date
ranges of ``ranges``. ``receipts_file`` reads the receipt import file
(``receipt_rows`` checks its values, ``receipt_groups`` its receipts).
"""
