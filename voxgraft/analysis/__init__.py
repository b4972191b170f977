"""Reads the results store and writes reports: one row per trial (trials.py), effects,
importance and organ Shapley values, the Pareto front, the dashboard and summary; `pick`
chooses what to export. Start at report.analyse."""
