"""Managed CCM: the compliance exposure a practice keeps, and the due-diligence questions to
put to a vendor before signing (docs/compliance.md has the sources).

Plain data and text only; the report (outputs/html/handover.py) and the workbook
(outputs/workbook/handover_sheets.py) lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """A published review of CCM claims (docs/compliance.md)."""

    who: str
    what: str
    source: str


FINDINGS: tuple[Finding, ...] = (
    Finding(
        "HHS Office of Inspector General, 2019",
        "Of CCM claims paid in 2015-2016, 20,165 were overpaid ($640,452): CCM billed more than "
        "once for the same patient and month, or together with overlapping care-management "
        "services by the same practitioner.",
        "OIG report A-07-17-05101 (November 2019), oig.hhs.gov",
    ),
    Finding(
        "HHS Office of Inspector General, 2021",
        "Of 7.8 million CCM claims from physicians in 2017-2018, 50,192 were overpaid ($1.9 "
        "million), mostly duplicate CCM for the same patient and month; patients had paid "
        "coinsurance on those overpayments too.",
        "OIG report 'Medicare Continues To Make Overpayments for Chronic Care Management "
        "Services' (2021), oig.hhs.gov",
    ),
    Finding(
        "CMS Comprehensive Error Rate Testing (CERT), 2019",
        "A 66.2% improper-payment rate for CCM claims reviewed, most for missing or "
        "insufficient documentation (consent, care plan, time).",
        "CERT 2019 as summarised by hbeadvisors.com (secondary source)",
    ),
)

RISKS: tuple[str, ...] = (
    "The vendor bills under your practice's and your practitioners' Medicare numbers (the "
    "services are billed incident to your billing practitioner). Medicare recovers any "
    "overpayment from the practice, not from the vendor, and the patient's coinsurance on an "
    "overpaid claim must be refunded.",
    "Your billing practitioner stays responsible for the care: supervision of the vendor's "
    "clinical staff, the care plan, and the consent recorded in your chart.",
    "Audits ask for the evidence behind each claim: documented consent, a care plan the "
    "patient received, the minutes and who spent them, and the chronic conditions. If the "
    "vendor keeps these in its own system, you must be able to produce them years later.",
    "Duplicate billing is the most common overpayment found: another practice, or one of your "
    "own providers, billing CCM or overlapping care management for the same patient and month.",
    "Patient information leaves the practice: a business associate agreement must be signed "
    "before the vendor receives the worklist.",
)


@dataclass(frozen=True)
class VendorQuestion:
    """One due-diligence question: the topic, what to ask, and what a good answer looks like."""

    topic: str
    question: str
    good_answer: str


CHECKLIST: tuple[VendorQuestion, ...] = (
    VendorQuestion(
        "Business associate agreement",
        "Will you sign our business associate agreement (or show yours) before receiving any "
        "patient data, and how do you send and store it?",
        "Signed before the worklist is shared; encrypted transfer; no email of patient lists.",
    ),
    VendorQuestion(
        "24/7 access",
        "Who answers patients at night and at weekends, and can that clinician open the "
        "patient's care plan?",
        "A licensed clinician with chart access around the clock, with urgent calls passed "
        "to your providers under an agreed protocol.",
    ),
    VendorQuestion(
        "Clinical staff",
        "Which licensed staff (RN, LPN) make the monthly contacts, in which states are they "
        "licensed, and how are they supervised by our billing practitioner?",
        "Named roles and licences in your state; a written supervision arrangement.",
    ),
    VendorQuestion(
        "Continuity",
        "Does each patient keep one named care manager, and how often do care managers change?",
        "A named care manager per patient, on the care plan; low turnover reported.",
    ),
    VendorQuestion(
        "Documentation access",
        "Where are consent, care plans, time logs and notes kept, and do they come back into "
        "our certified EHR every month?",
        "Everything filed in your EHR, or exported monthly in a form an auditor can read.",
    ),
    VendorQuestion(
        "Billing and claims",
        "Who submits the claims, under which NPI, and can we review the month-end claim file "
        "against the time log before it goes out?",
        "You (or your biller) approve each month's file before submission.",
    ),
    VendorQuestion(
        "Duplicate-billing checks",
        "How do you check that no other practice or provider bills CCM, PCM or APCM for the "
        "same patient and month?",
        "Asked at consent and checked before each claim; written procedure.",
    ),
    VendorQuestion(
        "Overpayments and clawbacks",
        "If a claim is found overpaid, who refunds Medicare and the patient, and do you return "
        "your fee on it?",
        "The contract obliges the vendor to return its fee and pay its share of refunds "
        "caused by its documentation.",
    ),
    VendorQuestion(
        "Audit support",
        "Will you produce the records and support us through a Medicare or OIG review, at "
        "whose cost, and for how many years after the contract ends?",
        "Records kept at least as long as Medicare's look-back; support at the vendor's cost.",
    ),
    VendorQuestion(
        "Data ownership",
        "Who owns the patient records, care plans and reports, and may you use our data for "
        "anything else?",
        "The practice owns all data; no other use without written consent.",
    ),
    VendorQuestion(
        "Exit terms",
        "How long is the contract, how do we end it, and how are patients and records handed back?",
        "Short notice period, no exit fee, full records returned in a usable format.",
    ),
    VendorQuestion(
        "Fees",
        "How is your fee set (share of collections, per enrolled patient, per code billed) and "
        "what is charged at start-up?",
        "Fees written out per month with examples; no fee on claims later denied or refunded.",
    ),
    VendorQuestion(
        "Results and references",
        "What share of enrolled patients reach the billing threshold each month, what share "
        "stop within a year, and can we speak to two practices like ours?",
        "Monthly figures by practice, shared with you, and references you can call.",
    ),
)
