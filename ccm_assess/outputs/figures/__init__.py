"""The report's plotly figures: patients and readiness (`patients`), money and staffing
(`finance`).
"""
