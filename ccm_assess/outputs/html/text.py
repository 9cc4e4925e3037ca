"""The report's plain-language prose as HTML: delivery models explained, method, glossary,
disclaimer.

Mostly static text, filled in with the practice's date, rates, horizon and simulation settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from ccm_assess.finance import fees
from ccm_assess.finance.assumptions import Assumptions
from ccm_assess.finance.model import DELIVERY_MODELS
from ccm_assess.finance.sensitivity import MonteCarlo
from ccm_assess.outputs.html.blocks import (
    callout,
    esc,
    html_table,
    paragraphs,
)


def models_explained() -> str:
    """One line per delivery model, with its colour."""
    items = "".join(
        f'<li><strong class="model-{key}">{esc(m.label)}:</strong> {esc(m.description)}</li>'
        for key, m in DELIVERY_MODELS.items()
    )
    return f"<ul>{items}</ul>"


def method_html(
    as_of: dt.date, table: fees.RateTable, assumptions: Assumptions, monte: MonteCarlo
) -> str:
    """How the numbers were made, in plain words."""
    horizon = assumptions.horizon_months
    cut = f"{assumptions.sequestration:.0%}"
    coinsurance = f"{assumptions.coinsurance:.0%}"
    return paragraphs(
        "Patients: we read the practice's panel export and looked at every patient alive and not "
        f"in hospice on {as_of:%B} {as_of.day}, {as_of.year}. Diagnosis codes were grouped into "
        "chronic conditions with a published list based on the CMS Chronic Conditions "
        "Warehouse; a patient with two or more of them is eligible for CCM. Complex CCM, PCM and "
        "APCM follow the CMS rules for each program.",
        f"Money: each delivery model is simulated month by month for {horizon} months, month 1 "
        "being the month after the assessment date. Each model first spends its set-up months "
        "(hiring and training, or choosing and onboarding a vendor); then patients are offered "
        "CCM at the pace the same outreach hours allow in every model (a vendor's faster or "
        "slower pace is a separate assumption), some agree, some stop or die, and a share of "
        "enrolled months reach the billing time threshold. Claims are paid after the service "
        "month closes, so cash arrives later than the work. Payments use the Medicare "
        f"Physician Fee Schedule {table.year} for {table.locality.label}, with later years "
        "following the conversion factor under current law, less the patient's "
        f"{coinsurance} share where it goes uncollected (never collected from Qualified "
        f"Medicare Beneficiaries), the {cut} sequestration cut and denials. Medicare "
        "Advantage plans pay at an uncertain share of the Medicare rate. Staff time, the "
        "billing practitioner's time, software and 24/7 cover follow the assumptions listed "
        "above; no number was invented without a label.",
        "Headline figures: every net, break-even month and enrolled count in the summary, the "
        f"model comparison and the cards is the middle (median) of {monte.draws} simulations, "
        "shown with the range where 8 in 10 of them fall. The run with every assumption at its "
        "default value is shown as such (tornado, workbook, explorer).",
        f"Uncertainty: the tornado moves one assumption at a time to the ends of its plausible "
        f"range. The simulations draw all of them at once, {monte.draws} times (seed "
        f"{monte.seed}, so the same inputs always give the same answer). For the recommended "
        "model and the runner-up we also searched, one assumption at a time, for the value at "
        "which the choice would flip.",
        "Privacy: the report shows counts only. Any group of 1 to 10 patients shows as <11, and "
        "no name, date of birth or identifier leaves the practice's worklist.",
    )


GLOSSARY: Mapping[str, str] = {
    "CCM (Chronic Care Management)": (
        "Medicare payment for at least 20 minutes a month of care between visits for a "
        "patient with two or more chronic conditions expected to last 12 months or more "
        "(codes 99490, 99439)."
    ),
    "Complex CCM": (
        "CCM for patients needing at least 60 minutes a month and a substantial care plan "
        "change (codes 99487, 99489)."
    ),
    "Practitioner CCM": (
        "CCM time spent by the physician or practitioner personally (codes 99491, 99437)."
    ),
    "G0506": (
        "A one-time add-on when the practitioner does an extended assessment and care plan at"
        " the start of CCM."
    ),
    "PCM (Principal Care Management)": (
        "Like CCM, for a patient with one serious chronic condition (codes 99424-99427)."
    ),
    "APCM (Advanced Primary Care Management)": (
        "Monthly payment, with no time threshold, for a practice responsible for all of a "
        "patient's primary care (codes G0556-G0558). It replaces CCM and PCM for the same "
        "patient and month."
    ),
    "BHI (Behavioral Health Integration)": (
        "Monthly payment for at least 20 minutes of care-team time for a patient with a "
        "behavioural health condition such as depression or anxiety (code 99484); it can be "
        "billed in the same month as CCM when the time is separate."
    ),
    "TCM (Transitional Care Management)": (
        "One payment after a hospital discharge when the patient is contacted within 2 business "
        "days and seen within 14 days (99495) or 7 days (99496)."
    ),
    "Go-live": "The week the first patients are offered CCM and consent is recorded.",
    "Initiating visit": (
        "A visit (office visit, annual wellness visit or Welcome to Medicare visit) needed "
        "before CCM can start for a patient new to the practice or not seen in the last year."
    ),
    "Consent": (
        "The patient's agreement to CCM, recorded in the chart, after being told about the "
        "20% coinsurance and that only one practitioner can bill CCM a month."
    ),
    "FFS (fee-for-service) Medicare": (
        "Traditional Medicare, which pays the fee schedule for each service."
    ),
    "MA (Medicare Advantage)": (
        "Medicare run by a private plan; it pays for CCM under its contract with the practice."
    ),
    "Medicaid / dual eligible": (
        "State coverage for low-income patients; a dual-eligible patient has both Medicare "
        "and Medicaid."
    ),
    "Allowed amount": (
        "What Medicare allows for a service: Medicare pays 80%, the patient (or their "
        "secondary insurance) 20%."
    ),
    "Coinsurance": ("The patient's 20% share of the allowed amount."),
    "Sequestration": ("A federal cut (2% today) to Medicare's share of each payment."),
    "Denials": ("Claims not paid, or paid only after rework."),
    "GPCI (Geographic Practice Cost Index)": (
        "The factors that adjust Medicare rates to the cost of practising in a locality."
    ),
    "Locality": ("One of Medicare's payment areas (for example a state or a large city)."),
    "Fee schedule, RVU and conversion factor": (
        "Medicare's price list: each code has relative value units (RVUs), adjusted by GPCIs "
        "and multiplied by the yearly conversion factor in dollars."
    ),
    "CMS": ("The Centers for Medicare & Medicaid Services, the federal agency that runs Medicare."),
    "QMB (Qualified Medicare Beneficiary)": (
        "A Medicare patient whose Medicaid pays the Medicare costs; it decides the highest APCM "
        "tier."
    ),
    "RN, LPN, medical assistant": (
        "Registered nurse, licensed practical nurse, medical assistant (MA as a staff role): the "
        "clinical staff who can give CCM time."
    ),
    "BLS": "The U.S. Bureau of Labor Statistics, source of the staff wages.",
    "Business associate agreement": (
        "The contract HIPAA requires before a vendor may handle your patients' information."
    ),
    "Delivery model": (
        "Who does the work: in-house (your staff), managed (a vendor) or hybrid (your staff "
        "with a vendor running enrolment, software and billing)."
    ),
    "Vendor revenue share": ("A managed vendor's fee taken as a share of what CCM collects."),
    "FTE (full-time equivalent)": (
        "One full-time employee's paid hours (2,080 a year); 0.5 FTE is half-time."
    ),
    "Care manager": ("The nurse or medical assistant who makes the monthly CCM contacts."),
    "Caseload": ("Enrolled patients per full-time care manager."),
    "Billable month": (
        "A month in which an enrolled patient reaches the time threshold, so CCM can be billed."
    ),
    "Steady state / final year": (
        "The last 12 months of the simulation, when enrolment has grown and staffing has settled."
    ),
    "Median": ("The middle simulation: half come out better, half worse."),
    "At the default values (base case)": (
        "One run of the model with every assumption at its default, without the simulations."
    ),
    "Set-up months": (
        "Months before the first patient is enrolled: hiring and training, or choosing and "
        "onboarding a vendor."
    ),
    "Claims lag": ("The time between the month of service and the money arriving."),
    "Net": ("Money collected minus all program costs."),
    "Cumulative net": ("The running total of net since launch."),
    "Break-even month": (
        "The first month, once payments have started, in which the cumulative net is zero or "
        "more: start-up costs have been paid back."
    ),
    "ROI (return on costs)": (
        "Net over the period as a share of the costs: 20% means every $100 spent brings back $120."
    ),
    "Simulation (Monte Carlo)": (
        "Rerunning the model many times with every assumption drawn at random from its "
        "plausible range, to see the spread of outcomes."
    ),
    "P10 / P50 / P90": (
        "1 in 10 simulations ends below P10, half below P50, 9 in 10 below P90. 8 in 10 fall "
        "between P10 and P90."
    ),
    "Tornado chart": (
        "Shows how far the result moves when one assumption at a time goes to the low or high"
        " end of its range; the longest bars matter most."
    ),
    "Readiness score": (
        "0-100 per area from the questionnaire; an unanswered question is left out, not "
        "counted as yes."
    ),
    "Certified EHR": (
        "An electronic health record certified by the federal government; CMS requires CCM "
        "care plans to be kept in one."
    ),
    "24/7 access": (
        "Patients can reach a clinician who can see their care plan at any hour; a CMS "
        "requirement for CCM."
    ),
    "Care plan": (
        "The written plan of problems, goals, medicines and who does what; each CCM patient "
        "must have one and get a copy."
    ),
    "Worklist": (
        "The separate spreadsheet, kept inside the practice, listing the eligible patients by"
        " name for staff to enrol. It is the only output with patient details."
    ),
    "<11": (
        "A group of 1 to 10 patients, not shown exactly to protect privacy (CMS cell-size rule)."
    ),
}


def glossary_html() -> str:
    """Every term the report uses, in plain words."""
    frame = pd.DataFrame({"Term": list(GLOSSARY), "Meaning": list(GLOSSARY.values())})
    return html_table(frame, text_columns=("Term", "Meaning"))


def disclaimer_html(practice: str, prepared_by: str) -> str:
    """The closing disclaimer: an estimate, not billing or legal advice."""
    return callout(
        "Important",
        [
            f"This report estimates what a Chronic Care Management program could mean for "
            f"{practice}. It rests on the practice's own data as exported, published Medicare "
            "rates and the assumptions listed in this appendix; real results depend on how the "
            "program is run.",
            "It is not billing, coding, compliance or legal advice. Confirm coverage and rules "
            "with Medicare, your Medicare Advantage contracts and your advisers before billing.",
            f"Prepared by {prepared_by}.",
        ],
        caution=True,
    )
