"""The report's HTML snippets: building blocks (`blocks`), tables and cards (`tables`), prose
(`text`), appendix tables (`appendix`) and the hand-over sections (`handover`).
"""
