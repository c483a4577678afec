"""Insights: the contact-centre KPIs (kpis.py), dashboards and reports built on them."""
