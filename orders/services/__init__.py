"""Every write of the orders app, by job: ``cart`` (lines, kit records, the merge at log-in),
``checkout`` (a cart becomes a paid order), ``lifecycle`` (paid, shipped, delivered,
cancelled) and ``emails`` (what the shopper is sent)."""
