"""Recommendation business rules, by job: ``values`` (what a recommendation is made of),
``routine`` (what a grade gets: ``recommend``) and ``kits`` (a recommendation's kit into the
cart). The demo plans and rules are seeded by ``recommendations.demo``, beside their data."""
