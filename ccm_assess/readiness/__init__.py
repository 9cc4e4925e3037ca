"""How ready the practice is: the questionnaire (`questionnaire`), scores and gaps (`scoring`),
the recommended delivery model (`recommendation`) and its launch plan (`plan`), and what a
practice keeps when a vendor runs CCM (`vendor`). Weights and rules: docs/readiness.md.
"""
