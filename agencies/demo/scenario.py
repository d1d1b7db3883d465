"""The Massachusetts rollout scenario as plain data: agencies, bargaining units, the contract,
the five waves and the name lists the roster is drawn from.

Nothing here touches the database, so the scenario can be read (and reviewed against
`/work/shared/FACTS.md`) in one place. Figures are reported facts where FACTS.md reports them and
*illustrative* otherwise; `docs/demo-data.md` says which is which.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

DEFAULT_SEED = 2026
DEFAULT_AS_OF = dt.date(2026, 11, 29)

DEMO_USERNAME = "eotss.rollout"
EMAIL_DOMAIN = "mass.gov"
REASON = "Demo data"

# The day NAGE demanded to bargain over the rollout. Reported for February 2026; the day itself
# is illustrative.
NAGE_DEMAND_FILED_ON = dt.date(2026, 2, 18)


@dataclass(frozen=True)
class UnitSpec:
    """A bargaining unit; `holds` marks the units whose union has demanded to bargain."""

    code: str
    name: str
    union: str
    holds: bool = False


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("NAGE-1", "Unit 1: administrative and clerical", "NAGE", holds=True),
    UnitSpec("AFSCME-2", "Unit 2: service, maintenance and institutional", "AFSCME Council 93"),
    UnitSpec("NAGE-3", "Unit 3: building trades and crafts", "NAGE", holds=True),
    UnitSpec("MCOFU-4", "Unit 4: correction officers", "MCOFU"),
    UnitSpec("NEPBA-4A", "Unit 4A: environmental police officers", "NEPBA"),
    UnitSpec("COPS-5", "Unit 5: law enforcement", "COPS"),
    UnitSpec("SPAM-5A", "Unit 5A: public safety", "SPAM"),
    UnitSpec("NAGE-6", "Unit 6: professional administrative", "NAGE", holds=True),
    UnitSpec("MNA-7", "Unit 7: health care professionals", "MNA"),
    UnitSpec("SEIU509-8", "Unit 8: social and rehabilitation", "SEIU Local 509"),
    UnitSpec("MOSES-9", "Unit 9: engineers, scientists and technicians", "MOSES"),
    UnitSpec("SEIU509-10", "Unit 10: education", "SEIU Local 509"),
    UnitSpec("IAFF-11", "Unit 11: fire fighters", "IAFF"),
)


@dataclass(frozen=True)
class AgencySpec:
    """An agency at scale 1: its own headcount (children excluded) and the share of its staff in
    each bargaining unit, in percent; the rest of the staff is in no unit (managers,
    confidential employees)."""

    code: str
    name: str
    headcount: int
    unit_mix: tuple[tuple[str, int], ...]
    parent: str | None = None

    @property
    def chargeback_code(self) -> str:
        return f"CB-26-{self.code}"


# Headcounts are each agency's own staff; a secretariat's side is it plus its children.
# EOTSS (~450), the EOHHS side (~20,000 here, ~22,000 reported for 2021) and the MassDOT side
# (~4,000) follow FACTS.md; every other headcount and every unit mix is illustrative.
AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        "EOTSS",
        "Executive Office of Technology Services and Security",
        450,
        (("NAGE-6", 30), ("NAGE-1", 15), ("MOSES-9", 20), ("AFSCME-2", 5)),
    ),
    AgencySpec(
        "ANF",
        "Executive Office for Administration and Finance",
        700,
        (("NAGE-1", 35), ("NAGE-6", 30), ("AFSCME-2", 15), ("MOSES-9", 5)),
    ),
    AgencySpec(
        "DOR",
        "Department of Revenue",
        2000,
        (("NAGE-1", 30), ("NAGE-6", 40), ("AFSCME-2", 15), ("MOSES-9", 5)),
        parent="ANF",
    ),
    AgencySpec(
        "DCAMM",
        "Division of Capital Asset Management and Maintenance",
        400,
        (("MOSES-9", 30), ("NAGE-6", 20), ("AFSCME-2", 20), ("NAGE-3", 15)),
        parent="ANF",
    ),
    AgencySpec(
        "EOED",
        "Executive Office of Economic Development",
        500,
        (("NAGE-6", 40), ("NAGE-1", 25), ("AFSCME-2", 15), ("MOSES-9", 5)),
    ),
    AgencySpec(
        "EOHLC",
        "Executive Office of Housing and Livable Communities",
        600,
        (("NAGE-6", 35), ("NAGE-1", 25), ("AFSCME-2", 25), ("MOSES-9", 5)),
    ),
    AgencySpec(
        "EOVS",
        "Executive Office of Veterans' Services",
        250,
        (("NAGE-1", 30), ("AFSCME-2", 40), ("MNA-7", 15), ("SEIU509-8", 5)),
    ),
    AgencySpec(
        "EOLWD",
        "Executive Office of Labor and Workforce Development",
        1800,
        (("NAGE-1", 30), ("NAGE-6", 30), ("AFSCME-2", 25), ("SEIU509-8", 5)),
    ),
    AgencySpec(
        "EEA",
        "Executive Office of Energy and Environmental Affairs",
        3300,
        (
            ("NAGE-3", 15),
            ("NAGE-6", 15),
            ("AFSCME-2", 30),
            ("MOSES-9", 25),
            ("NEPBA-4A", 4),
            ("IAFF-11", 1),
        ),
    ),
    AgencySpec(
        "EOE",
        "Executive Office of Education",
        1000,
        (("NAGE-6", 25), ("NAGE-1", 20), ("SEIU509-10", 25), ("AFSCME-2", 10), ("MOSES-9", 8)),
    ),
    AgencySpec(
        "EOPSS",
        "Executive Office of Public Safety and Security",
        1400,
        (
            ("NAGE-1", 20),
            ("NAGE-6", 15),
            ("COPS-5", 15),
            ("SPAM-5A", 10),
            ("IAFF-11", 5),
            ("AFSCME-2", 20),
        ),
    ),
    AgencySpec(
        "DOC",
        "Department of Correction",
        3600,
        (("MCOFU-4", 80), ("AFSCME-2", 8), ("NAGE-1", 5), ("MNA-7", 2)),
        parent="EOPSS",
    ),
    AgencySpec(
        "MASSDOT",
        "Massachusetts Department of Transportation",
        2900,
        (("AFSCME-2", 35), ("MOSES-9", 30), ("NAGE-3", 10), ("NAGE-6", 15)),
    ),
    AgencySpec(
        "RMV",
        "Registry of Motor Vehicles",
        1100,
        (("NAGE-1", 60), ("NAGE-6", 15), ("AFSCME-2", 15)),
        parent="MASSDOT",
    ),
    AgencySpec(
        "EOHHS",
        "Executive Office of Health and Human Services",
        5000,
        (("NAGE-1", 30), ("NAGE-6", 35), ("AFSCME-2", 15), ("SEIU509-8", 8), ("MOSES-9", 5)),
    ),
    AgencySpec(
        "DCF",
        "Department of Children and Families",
        4200,
        (("SEIU509-8", 65), ("NAGE-1", 15), ("NAGE-6", 10), ("AFSCME-2", 5)),
        parent="EOHHS",
    ),
    AgencySpec(
        "DPH",
        "Department of Public Health",
        3300,
        (("NAGE-6", 25), ("NAGE-1", 10), ("MNA-7", 25), ("MOSES-9", 15), ("AFSCME-2", 18)),
        parent="EOHHS",
    ),
    AgencySpec(
        "DMH",
        "Department of Mental Health",
        3500,
        (("MNA-7", 25), ("AFSCME-2", 33), ("NAGE-1", 10), ("NAGE-6", 10), ("SEIU509-8", 15)),
        parent="EOHHS",
    ),
    AgencySpec(
        "DDS",
        "Department of Developmental Services",
        4000,
        (
            ("AFSCME-2", 40),
            ("NAGE-1", 15),
            ("NAGE-3", 15),
            ("NAGE-6", 10),
            ("SEIU509-8", 10),
            ("MNA-7", 5),
        ),
        parent="EOHHS",
    ),
)


CONTRACT = {
    "number": "RFQ-26-04261",
    "name": "Enterprise AI assistant (ChatGPT Enterprise) for the executive branch",
    "vendor": "OpenAI",
    "reseller": "Carahsoft Technology Corp.",
    "start_date": dt.date(2026, 2, 13),
    "end_date": dt.date(2027, 2, 12),
    "floor_amount": Decimal("1560000.00"),
    "ceiling_amount": Decimal("3360000.00"),
    "min_billable_seats": 10_000,
    "tier_mode": "volume",
    "billing_basis": "assigned",
    "requires_training": True,
    "readiness_threshold": Decimal("0.800"),
    "idle_days": 30,
    "reclaim_grace_days": 60,
}

# (min_seats, max_seats, unit price per seat per month). $13 and $7 are reported; $11 and $9
# are illustrative.
TIERS: tuple[tuple[int, int | None, Decimal], ...] = (
    (1, 10_000, Decimal("13")),
    (10_001, 20_000, Decimal("11")),
    (20_001, 30_000, Decimal("9")),
    (30_001, None, Decimal("7")),
)


@dataclass(frozen=True)
class WaveSpec:
    """One wave of the plan: its window and each agency's onboarding day inside it."""

    number: int
    name: str
    planned_start: dt.date
    planned_end: dt.date
    cohorts: tuple[tuple[str, dt.date], ...]

    @property
    def approval_day(self) -> dt.date:
        """The day the rollout office approved the wave: a week before it starts."""
        return self.planned_start - dt.timedelta(days=7)


D = dt.date
WAVES: tuple[WaveSpec, ...] = (
    WaveSpec(1, "EOTSS first", D(2026, 2, 13), D(2026, 3, 31), (("EOTSS", D(2026, 2, 13)),)),
    WaveSpec(
        2,
        "Administration, economy, housing, veterans and labor",
        D(2026, 4, 1),
        D(2026, 5, 29),
        (
            ("ANF", D(2026, 4, 6)),
            ("DOR", D(2026, 4, 13)),
            ("EOED", D(2026, 4, 20)),
            ("EOHLC", D(2026, 4, 27)),
            ("EOVS", D(2026, 5, 4)),
            ("EOLWD", D(2026, 5, 11)),
        ),
    ),
    WaveSpec(
        3,
        "Environment, education and public safety",
        D(2026, 6, 1),
        D(2026, 7, 31),
        (
            ("EEA", D(2026, 6, 8)),
            ("EOE", D(2026, 6, 15)),
            ("EOPSS", D(2026, 6, 22)),
            ("DOC", D(2026, 7, 6)),
        ),
    ),
    WaveSpec(
        4,
        "Transportation",
        D(2026, 8, 17),
        D(2026, 10, 30),
        (("MASSDOT", D(2026, 8, 24)), ("RMV", D(2026, 9, 14))),
    ),
    WaveSpec(
        5,
        "Health and human services",
        D(2026, 11, 2),
        D(2027, 1, 29),
        (
            ("EOHHS", D(2026, 11, 9)),
            ("DCF", D(2026, 11, 16)),
            ("DPH", D(2026, 12, 7)),
            ("DMH", D(2027, 1, 4)),
            ("DDS", D(2027, 1, 11)),
        ),
    ),
)
del D


GATE_EVIDENCE = {
    "privacy_review": (
        "EOTSS Privacy Office reviewed the AI use terms for {agency}: data walled off and not "
        "used for training, use logged for audit, a human stays in the loop on eligibility."
    ),
    "security_review": (
        "SSO through Entra ID and SCIM provisioning tested for {agency}; audit log export on."
    ),
    "union_notice": "Notice of the {agency} rollout sent to every union representing its staff.",
    "help_desk_ready": "EOTSS service desk scripts and escalation path for {agency} published.",
}


FIRST_NAMES = (
    "Aaliyah", "Adriana", "Ahmed", "Aisha", "Alejandro", "Alice", "Amy", "Ana", "Andre",
    "Andrew", "Angela", "Anh", "Anthony", "Ashley", "Barbara", "Benjamin", "Brendan", "Brian",
    "Bridget", "Carlos", "Carmen", "Catherine", "Chen", "Christopher", "Claire", "Colleen",
    "Connor", "Daniel", "David", "Deborah", "Declan", "Denise", "Diana", "Dominic", "Duc",
    "Elena", "Elizabeth", "Emily", "Emmanuel", "Eric", "Fatima", "Fernando", "Fiona", "Francis",
    "Gabriel", "Grace", "Hannah", "Hung", "Isabel", "James", "Janet", "Jean", "Jennifer",
    "Jessica", "Joao", "John", "Jose", "Joseph", "Julia", "Karen", "Kathleen", "Kevin", "Khanh",
    "Laura", "Li", "Linda", "Lucas", "Luis", "Madeline", "Marcus", "Maria", "Mark", "Marie",
    "Matthew", "Maureen", "Mei", "Michael", "Michelle", "Mohamed", "Nancy", "Nicole", "Olivia",
    "Patrick", "Paul", "Priya", "Rachel", "Rafael", "Raj", "Rebecca", "Richard", "Robert",
    "Rosa", "Ryan", "Samuel", "Sarah", "Sean", "Sofia", "Stephanie", "Susan", "Thomas", "Tiago",
    "Vanessa", "Wei", "William", "Yolanda",
)  # fmt: skip

LAST_NAMES = (
    "Almeida", "Barry", "Bergeron", "Botelho", "Brennan", "Brown", "Burke", "Byrne", "Cabral",
    "Callahan", "Carvalho", "Chan", "Charles", "Chen", "Clark", "Collins", "Connolly", "Costa",
    "Cruz", "Cummings", "Daley", "DeMarco", "Desrosiers", "Diaz", "Doherty", "Donovan", "Doyle",
    "Dubois", "Fitzgerald", "Flaherty", "Flynn", "Garcia", "Gomes", "Gonzalez", "Greene",
    "Hernandez", "Huang", "Joseph", "Kelly", "Kennedy", "Le", "Leblanc", "Lee", "Li", "Lopez",
    "Lynch", "MacDonald", "Mahoney", "Martin", "Martinez", "McCarthy", "McLaughlin", "Medeiros",
    "Moreira", "Murphy", "Nguyen", "Nolan", "O'Brien", "O'Connor", "O'Neill", "Pacheco", "Patel",
    "Pereira", "Pham", "Pierre", "Quinn", "Ramirez", "Reilly", "Rivera", "Rodrigues",
    "Rodriguez", "Rossi", "Russo", "Ryan", "Santos", "Shea", "Silva", "Smith", "Sousa",
    "Sullivan", "Tran", "Walsh", "Wang", "Williams", "Wong", "Zhang",
)  # fmt: skip


# Job titles by bargaining unit (None: staff outside any unit); EOTSS gets its own IT titles.
JOB_TITLES: dict[str | None, tuple[str, ...]] = {
    "NAGE-1": ("Administrative Assistant I", "Administrative Assistant II", "Clerk IV",
               "Program Coordinator I", "Customer Service Representative"),
    "AFSCME-2": ("Maintenance Technician", "Mental Health Worker II",
                 "Developmental Services Worker", "Highway Maintenance Worker",
                 "Institutional Support Worker"),
    "NAGE-3": ("Maintainer III", "Electrician II", "Carpenter", "Building Maintenance Supervisor"),
    "MCOFU-4": ("Correction Officer I", "Correction Officer II", "Correction Officer III"),
    "NEPBA-4A": ("Environmental Police Officer",),
    "COPS-5": ("Police Officer", "Capitol Police Officer"),
    "SPAM-5A": ("Investigator", "Public Safety Dispatcher"),
    "NAGE-6": ("Program Manager", "Management Analyst III", "Contract Specialist II",
               "Tax Examiner", "Program Coordinator III", "Accountant IV"),
    "MNA-7": ("Registered Nurse", "Public Health Nurse", "Nurse Practitioner"),
    "SEIU509-8": ("Social Worker", "Social Worker Technician", "Case Manager",
                  "Rehabilitation Counselor"),
    "MOSES-9": ("Civil Engineer III", "Environmental Analyst IV", "Epidemiologist II",
                "Systems Analyst", "Engineering Technician"),
    "SEIU509-10": ("Education Specialist", "Vocational Instructor"),
    "IAFF-11": ("Fire Fighter", "Fire Lieutenant"),
    None: ("Director", "Deputy Commissioner", "General Counsel", "Chief of Staff",
           "Program Manager VIII", "Assistant Secretary"),
}  # fmt: skip

EOTSS_TITLES = (
    "Application Developer",
    "Network Engineer",
    "Service Desk Analyst",
    "IT Project Manager",
    "Security Analyst",
    "Cloud Engineer",
)
