"""The evaluation service: ratings, department evaluations, KPIs and rankings."""
