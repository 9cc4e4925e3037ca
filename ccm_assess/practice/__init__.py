"""One practice's whole assessment and the views over it: `assessment.assess` joins the panel,
eligibility, fees, the models and readiness into one `Assessment`; `disclosure` declares every
count a run publishes; `scenarios`, `providers`, `other_programs` and `monthly_plan` read it.
"""
