"""Payer free text -> payer class (docs/panel.md, Values: Payers).

`RULES` is an ordered table: the text is lower-cased, apostrophes and dots dropped and other
punctuation turned into spaces (`Medi-Cal` -> `medi cal`, `U.H.C.` -> `uhc`), then the first rule
whose pattern is found decides. Order matters: self-pay and other government programmes first,
then Medicare + Medicaid combinations (dual), Medicare supplements (the patient has Original
Medicare), anything naming Medicaid, Medicare Advantage names and "<carrier> Medicare" plans,
then plain Medicare, state Medicaid programme and Medicaid managed-care names, and last the
commercial carriers and generic commercial words. No match -> `unknown`, and the text is listed
in the data-quality section so the consultant can add a mapping.

Decisions where the spec is silent: Molina, Amerigroup and CareSource are Medicaid (their
members are mostly Medicaid); a Medicare supplement (Medigap) means Original Medicare; text naming
both Medicare and Medicaid (`Medicare/Medicaid`, `Medi-Medi`) is Medicare FFS and dual; a D-SNP or
Medicare-Medicaid Plan is Medicare Advantage and dual; `MA` alone is Medicare Advantage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccm_assess.intake.coded import distinct, spread

PAYER_CLASSES: tuple[str, ...] = (
    "medicare_ffs",
    "medicare_advantage",
    "medicaid",
    "commercial",
    "self_pay",
    "other",
    "unknown",
)
"""Every payer class, in report order. `unknown`: blank or unrecognised text."""

MEDICARE_CLASSES: frozenset[str] = frozenset({"medicare_ffs", "medicare_advantage"})

PAYER_LABELS: dict[str, str] = {
    "medicare_ffs": "Medicare FFS",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid",
    "commercial": "Commercial",
    "self_pay": "Self-pay",
    "other": "Other",
    "unknown": "Unknown",
}
"""Short column labels per payer class (workbooks); the report uses plainer words."""

_CARRIERS = (
    r"aetna|cigna|humana|uhc|united ?health ?care|unitedhealthcare|aarp|anthem|bcbs|bc ?bs|"
    r"blue cross|blue shield|highmark|kaiser|centene|healthspring|elevance|regence|premera|"
    r"florida blue|harvard pilgrim|tufts|emblem|fidelis|oscar|priority health|geisinger|upmc|"
    r"health ?net|wellpoint|bright health|allwell|ucare|medica|martins point|independence|"
    r"excellus|capital blue|carefirst|horizon|wellmark|selecthealth|hmsa|clover|devoted"
)
"""Commercial carriers; "<carrier> ... Medicare" is one of their Medicare Advantage plans."""

RULES: tuple[tuple[str | tuple[str, ...], str, bool], ...] = (
    # (regular expression searched in the normalised text, or a tuple of them that must all be
    # found, in any order; payer class; dual-eligible plan). No `.*` between two words: on long
    # text that backtracks quadratically, so "both words" is a tuple.
    (
        r"\bself ?pay|\bselfpay\b|\buninsured\b|\bno (?:insurance|coverage|ins)\b|\bcash\b|"
        r"\bprivate pay\b|\bsliding (?:fee|scale)\b|\bcharity\b|^none$|^self$",
        "self_pay",
        False,
    ),
    (
        r"\btri ?care\b|\bchamp ?va\b|^va\b|\bva (?:health|ccn|community|medical)\b|\bveteran|"
        r"\bworkers? comp|\bwork comp|\bworkmans? comp|^wc$|\bauto (?:insurance|"
        r"accident)\b|\bliability\b|\bindian health\b|\bihs\b",
        "other",
        False,
    ),
    ((r"\bmedicare\b", r"\bmedicaid\b"), "medicare_ffs", True),
    (r"\bmedi medi\b", "medicare_ffs", True),
    (
        r"\bd ?snp\b|\bdual (?:complete|advantage|special|eligible)\b|\bmmp\b|"
        r"\bmedicare medicaid plan\b",
        "medicare_advantage",
        True,
    ),
    (r"\bmedigap\b|\bsupplement|\bmed ?supp\b", "medicare_ffs", False),
    (r"\bmedicaid\b|\bmcd\b", "medicaid", False),
    (
        r"\bmedicare ?advantage\b|\bmedicare adv\b|^ma$|\bma ?pd\b|\bma plan\b|\bpart c\b|"
        r"\bmedicare (?:hmo|ppo|pffs|replacement|risk|choice|plus)\b|\b(?:hmo|ppo) medicare\b|"
        r"\bmedicare ?complete\b|\bmedicare ?blue\b|\bhumana gold\b|\bgold plus\b|\bwellcare\b|"
        r"\bsecure ?horizons\b|\bsenior advantage\b|\balignment health\b|\bscan health\b",
        "medicare_advantage",
        False,
    ),
    (
        (rf"\b(?:{_CARRIERS})\b", r"\bmedicare"),
        "medicare_advantage",
        False,
    ),
    (
        r"\bmedicare\b|\bmcr\b|\brailroad\b|\brrb\b|\bpart b\b|\bnovitas\b|\bnoridian\b|"
        r"\bpalmetto\b|\bnational government services\b|\bfirst coast\b|\bwps\b|\bcgs\b",
        "medicare_ffs",
        False,
    ),
    (
        r"\bmedi ?cal\b|\bmass ?health\b|\btenn ?care\b|\bsooner ?care\b|\bapple health\b|"
        r"\bhusky\b|\bahcccs\b|\bbadger ?care\b|\bkan ?care\b|\bpeach ?care\b|\bfamily ?care\b|"
        r"\bhealthy connections\b|\bhoosier healthwise\b|\bhealthy indiana\b|\bstar ?plus\b|"
        r"\bstar kids\b|\bcentennial care\b|\bmedical assistance\b|\bdenali ?care\b|"
        r"\bmed ?quest\b|\bhealthy michigan\b|\bhealthy louisiana\b|\boregon health plan\b|"
        r"\bohp\b|\bmedallion\b|\bhealth ?choice\b|\bhealth first colorado\b|\bmo healthnet\b|"
        r"\bhawk i\b|\bhawki\b|\bchip\b|\bchp plus\b|\bcommunity plan\b|\bmolina\b|"
        r"\bamerigroup\b|\bcaresource\b|\bhealthy blue\b|\bsunshine health\b|\bbuckeye\b|"
        r"\bsuperior health ?plan\b|\bsimply healthcare\b",
        "medicaid",
        False,
    ),
    (
        rf"\b(?:{_CARRIERS})\b|\bambetter\b|\bgolden rule\b|\bmeritain\b|\bumr\b|\bgeha\b|"
        r"\bcommercial\b|\bprivate (?:insurance|ins)\b|\bppo\b|\bhmo\b|\bepo\b|\bpos\b|"
        r"\bmarketplace\b|\bexchange\b|\bemployer\b|\bcobra\b|\bfep\b|\bblue\b",
        "commercial",
        False,
    ),
    (r"^other\b|\bgovernment\b|\bgrant\b", "other", False),
)
"""Ordered payer rules; the first pattern found in the normalised text decides."""


def _normalise(text: pd.Series) -> pd.Series:
    """Lower case, `.` and `'` removed, other punctuation -> one space, trimmed."""
    return (
        text.str.lower()
        .str.replace(r"[.'\u2019]", "", regex=True)
        .str.replace(r"[^a-z0-9]+", " ", regex=True)
        .str.strip()
    )


def classify_payers(text: pd.Series) -> pd.DataFrame:
    """Payer text -> columns `payer_class` (one of `PAYER_CLASSES`) and `dual_plan` (bool: the
    text itself names a dual-eligible arrangement). Blank -> `unknown`. Same index as `text`.

    Each distinct text is classified once.
    """
    codes, uniques = distinct(text.astype("str"))  # blank: one more value, ""
    uniques = pd.concat([uniques, pd.Series([""], dtype="str")], ignore_index=True)
    codes = np.where(codes < 0, len(uniques) - 1, codes)
    norm = _normalise(uniques)
    payer = pd.Series("unknown", index=norm.index, dtype="str")
    dual = pd.Series(False, index=norm.index)
    todo = norm.ne("")
    for pattern, payer_class, is_dual in RULES:
        hit = todo
        for part in (pattern,) if isinstance(pattern, str) else pattern:
            hit = hit & norm.str.contains(part, regex=True)
        payer = payer.mask(hit, payer_class)
        dual = dual | (hit & is_dual)
        todo = todo & ~hit
    table = pd.DataFrame({"payer_class": payer, "dual_plan": dual})
    return spread(table, codes, text.index, None)


def payer_class(text: pd.Series) -> pd.Series:
    """Payer text -> payer class (`PAYER_CLASSES`); blank or unrecognised -> `unknown`."""
    return classify_payers(text)["payer_class"]


def dual_eligible(primary: pd.Series, secondary: pd.Series) -> pd.Series:
    """Medicare (FFS or Advantage) primary with Medicaid secondary, or a primary plan that is
    itself dual (`Medicare/Medicaid`, D-SNP). Bool, same index as `primary`."""
    return dual_of(classify_payers(primary), payer_class(secondary))


def dual_of(primary: pd.DataFrame, secondary: pd.Series) -> pd.Series:
    """`dual_eligible` from payers already classified: `classify_payers` of the primary
    payers, `payer_class` of the secondary ones (same order). Bool, index of `primary`."""
    medicaid = secondary.eq("medicaid").to_numpy(dtype=bool)
    return (primary["payer_class"].isin(MEDICARE_CLASSES) & medicaid) | primary["dual_plan"]


def unknown_payers(
    text: pd.Series, counts: np.ndarray | None = None, classes: pd.Series | None = None
) -> pd.DataFrame:
    """Non-blank payer texts no rule recognises: columns `value`, `count` (most frequent first,
    then alphabetical), the text stripped as written. `counts`: how many each text stands for
    (distinct texts with their patients; default one each); `classes`: their `payer_class`
    when already known (same index)."""
    stripped = text.astype("str").str.strip()
    weight = pd.Series(1 if counts is None else counts, index=text.index, dtype="int64")
    unknown = stripped.notna() & stripped.ne("") & weight.gt(0)
    unknown &= (payer_class(stripped) if classes is None else classes).eq("unknown")
    found = weight[unknown].groupby(stripped[unknown], sort=False).sum()
    frame = found.rename_axis("value").reset_index(name="count")
    return frame.sort_values(["count", "value"], ascending=[False, True], ignore_index=True)
