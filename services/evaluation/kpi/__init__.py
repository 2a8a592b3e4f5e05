"""KPIs of tier nodes and departments: months, definitions, composite scores, rankings and
accountability flags, as plain functions over figures (the SQL that counts the figures from
stored facts lives in services/evaluation/projections/kpi_queries.py)."""
