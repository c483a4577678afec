"""Demo data: a plausible French town's day of work, created through the real inbound pipeline and
the real case actions (`guichet demo`). Nothing here is imported by the domain."""
