"""Who qualifies: chronic conditions from ICD-10-CM codes (`conditions`) and each patient's
programs, CCM, complex CCM, PCM and APCM, and billability (`eligibility`).
Rules: docs/eligibility.md.
"""
