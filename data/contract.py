"""The data contract: the one source of truth for the warehouse's tables.

Every other module (generator, importer, derived layer, cube, docs) reads table and column
definitions from here, so a column is named, typed and explained in exactly one place.
Money is DOUBLE in yuan, rounded to the fen (cent); keys are integers; months are the
first day of the month (``month_date``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# DuckDB type names, the only ones the contract uses.
TYPES = ("VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN")


@dataclass(frozen=True)
class Column:
    """One column: its type, meaning and the rules a loaded value must satisfy."""

    name: str
    dtype: str
    meaning: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    references: str | None = None  # "table.column" for a foreign key
    min_value: float | None = None
    identifying: bool = False  # personal data: masked outside a user's own customers
    # May be left out of a file: the importer fills it with ``default`` (a SQL literal; NULL if
    # None). A column with a ``default`` also takes it where a cell is empty.
    optional: bool = False
    default: str | None = None
    # A display name in one language only: where this column is empty or absent, the value of
    # ``fallback`` (the same name in the other language) is used.
    fallback: str | None = None
    # The minimum does not apply on rows whose product has this BOOLEAN column true
    # (e.g. overdrawn current accounts: "products.allows_negative").
    minimum_waived_by: str | None = None
    since: str = "1"  # contract version that introduced the column


@dataclass(frozen=True)
class Table:
    """One table of the star schema, as a bank supplies it (source) or as we derive it."""

    name: str
    kind: str  # "dimension" | "fact"
    meaning: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    source: str = "bank"  # "bank": supplied by an import; "derived": built at load time
    date_column: str | None = None  # the column whose range is checked at import
    # A bank may not have this table: absent or empty, the load builds it empty and records it
    # in meta ``not_loaded``; the views that read it say there is nothing to show.
    optional: bool = False

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def columns_in(self, version: str) -> tuple[str, ...]:
        """The column names an extract made for contract ``version`` carries."""
        return tuple(c.name for c in self.columns if int(c.since) <= int(version))


# --- allowed values ---------------------------------------------------------------------

GENDERS = ("M", "F")
# A demographic attribute the bank does not know (or does not export): a value of its own, so
# counts by gender, age band, income band or occupation still add up to the whole.
UNKNOWN = "unknown"
OCCUPATIONS = (
    "civil_servant",
    "professional",
    "enterprise_staff",
    "self_employed",
    "worker",
    "farmer",
    "student",
    "retired",
    "other",
)
INCOME_BANDS = ("low", "lower_middle", "middle", "upper_middle", "high")
CREDIT_GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "C")
CUSTOMER_STATUSES = ("active", "dormant", "closed")
BRANCH_TYPES = ("branch", "outlet")
MANAGER_GRADES = ("junior", "senior", "principal")

PRODUCT_CATEGORIES = (
    "demand_deposit",
    "time_deposit",
    "debit_card",
    "credit_card",
    "consumer_loan",
    "mortgage",
    "business_loan",
    "fund",
    "wealth_management",
    "insurance",
    "forex",
    "utility_payment",
    "other_service",
)
# How a product's balance counts: deposits and investments are the customer's assets under
# management (AUM); loans are the bank's assets; services carry no balance.
BALANCE_TYPES = ("deposit", "investment", "loan", "none")

CHANNEL_CODES = (
    "counter",
    "atm",
    "cdm",
    "phone_banking",
    "online_banking",
    "mobile_banking",
    "pos",
    "wealth_centre",
    "call_centre",
)
CHANNEL_TYPES = ("branch", "self_service", "digital", "remote", "merchant")
# System postings: interest, fees and standing orders the bank books itself. They carry money
# (and fees), but are not a channel a customer chose: they get no per-channel columns in
# customer_month, never make a customer active or become a main channel, and show in channel
# views as their own channel type.
SYSTEM_CHANNEL_TYPE = "system"
SYSTEM_CHANNEL_CODES = ("interest_posting", "fee_posting", "standing_order")

# Standard display names (zh, en) of the codes above: the demo bank's products and channels
# tables carry them, and the mining models name their features with them.
CATEGORY_NAMES: dict[str, tuple[str, str]] = {
    "demand_deposit": ("活期存款", "Demand deposits"),
    "time_deposit": ("定期存款", "Time deposits"),
    "debit_card": ("借记卡", "Debit cards"),
    "credit_card": ("信用卡", "Credit cards"),
    "consumer_loan": ("消费贷款", "Consumer loans"),
    "mortgage": ("住房贷款", "Mortgages"),
    "business_loan": ("经营贷款", "Business loans"),
    "fund": ("基金", "Funds"),
    "wealth_management": ("理财产品", "Wealth management"),
    "insurance": ("保险", "Insurance"),
    "forex": ("外汇", "Foreign exchange"),
    "utility_payment": ("生活缴费", "Utility payments"),
    "other_service": ("其他服务", "Other services"),
}
CHANNEL_NAMES: dict[str, tuple[str, str]] = {
    "counter": ("柜面", "Counter"),
    "atm": ("自动取款机", "ATM"),
    "cdm": ("存款机", "Cash deposit machine"),
    "phone_banking": ("电话银行", "Phone banking"),
    "online_banking": ("网上银行", "Online banking"),
    "mobile_banking": ("手机银行", "Mobile banking"),
    "pos": ("POS", "POS"),
    "wealth_centre": ("财富中心", "Wealth centre"),
    "call_centre": ("客服中心", "Call centre"),
    "interest_posting": ("结息", "Interest posting"),
    "fee_posting": ("收费", "Fee posting"),
    "standing_order": ("定期划转", "Standing order"),
}
DIRECTIONS = ("credit", "debit")

TXN_TYPES = (
    "deposit",
    "withdrawal",
    "transfer",
    "payment",
    "purchase",
    "repayment",
    "investment",
    "exchange",
)
TARGET_METRICS = ("aum", "deposits", "loans", "contribution", "new_customers")

# --- source tables (what a bank supplies) -----------------------------------------------

# Personal data a bank may mask before export: optional, and empty where masked.
_PERSONAL = {"identifying": True, "nullable": True, "optional": True}
# Demographic attributes: an empty cell or an absent column reads as ``unknown``.
_DEMOGRAPHIC = {"optional": True, "default": f"'{UNKNOWN}'"}

REGIONS = Table(
    "regions",
    "dimension",
    "Top level of the organisation: a region (分行/区域) groups branches.",
    (
        Column("region_id", "INTEGER", "Region key."),
        Column("name_zh", "VARCHAR", "Region name in Simplified Chinese.", fallback="name_en"),
        Column("name_en", "VARCHAR", "Region name in English.", fallback="name_zh"),
    ),
    ("region_id",),
)

BRANCHES = Table(
    "branches",
    "dimension",
    "A branch or outlet (网点) where customers are served and accounts are booked.",
    (
        Column("branch_id", "INTEGER", "Branch key."),
        Column("region_id", "INTEGER", "Region the branch belongs to.", references="regions.region_id"),
        Column("name_zh", "VARCHAR", "Branch name in Simplified Chinese.", fallback="name_en"),
        Column("name_en", "VARCHAR", "Branch name in English.", fallback="name_zh"),
        Column("branch_type", "VARCHAR", "Full branch or small outlet.", allowed=BRANCH_TYPES),
        Column("city", "VARCHAR", "City the branch is in."),
        Column("opened_date", "DATE", "Date the branch opened."),
    ),
    ("branch_id",),
)

MANAGERS = Table(
    "managers",
    "dimension",
    "Relationship managers (客户经理); each belongs to one branch.",
    (
        Column("manager_id", "INTEGER", "Relationship manager key."),
        Column("branch_id", "INTEGER", "Branch the manager works at.", references="branches.branch_id"),
        Column("name", "VARCHAR", "Manager's name.", identifying=True),
        Column("grade", "VARCHAR", "Seniority grade.", allowed=MANAGER_GRADES),
        Column("hired_date", "DATE", "Date the manager joined."),
    ),
    ("manager_id",),
)

CUSTOMERS = Table(
    "customers",
    "dimension",
    "Individual customers, as of the end of the extract.",
    (
        Column("customer_id", "BIGINT", "Customer key."),
        *(
            Column(name, "VARCHAR", f"{meaning} May be empty or absent (masked before export).", **_PERSONAL)
            for name, meaning in (
                ("name", "Customer's full name."),
                ("phone", "Mobile phone number (11 digits)."),
                ("id_card_no", "Resident ID card number (18 characters)."),
            )
        ),
        Column("gender", "VARCHAR", "M, F or unknown.", allowed=(*GENDERS, UNKNOWN), **_DEMOGRAPHIC),
        Column(
            "birth_date",
            "DATE",
            "Date of birth; empty or absent if unknown (age band `unknown`).",
            nullable=True,
            optional=True,
        ),
        Column("occupation", "VARCHAR", "Occupation group.", allowed=(*OCCUPATIONS, UNKNOWN), **_DEMOGRAPHIC),
        Column(
            "income_band", "VARCHAR", "Monthly income band.", allowed=(*INCOME_BANDS, UNKNOWN), **_DEMOGRAPHIC
        ),
        Column("city", "VARCHAR", "City of residence."),
        Column(
            "home_branch_id", "INTEGER", "Branch that owns the customer.", references="branches.branch_id"
        ),
        Column("manager_id", "INTEGER", "Relationship manager in charge.", references="managers.manager_id"),
        Column("open_date", "DATE", "Date the customer relationship began."),
        Column("is_signed", "BOOLEAN", "Signed customer (签约客户): has signed a service agreement."),
        Column("credit_grade", "VARCHAR", "Internal credit grade.", allowed=CREDIT_GRADES),
        Column("status", "VARCHAR", "Status at the end of the extract.", allowed=CUSTOMER_STATUSES),
        Column(
            "close_date",
            "DATE",
            "Date the relationship closed; set only when status is closed.",
            nullable=True,
        ),
    ),
    ("customer_id",),
    date_column="open_date",
)

PRODUCTS = Table(
    "products",
    "dimension",
    "Products and services, grouped into categories (category > product).",
    (
        Column("product_id", "INTEGER", "Product key."),
        Column("product_code", "VARCHAR", "Stable product code."),
        Column("name_zh", "VARCHAR", "Product name in Simplified Chinese.", fallback="name_en"),
        Column("name_en", "VARCHAR", "Product name in English.", fallback="name_zh"),
        Column("category", "VARCHAR", "Product category code.", allowed=PRODUCT_CATEGORIES),
        Column(
            "category_name_zh", "VARCHAR", "Category name in Simplified Chinese.", fallback="category_name_en"
        ),
        Column("category_name_en", "VARCHAR", "Category name in English.", fallback="category_name_zh"),
        Column("balance_type", "VARCHAR", "How the balance counts (AUM, loan, none).", allowed=BALANCE_TYPES),
        Column(
            "margin_rate",
            "DOUBLE",
            "Annual net margin earned on the average daily balance (contribution = ADB x rate / 12).",
            min_value=0.0,
        ),
        Column("fee_rate", "DOUBLE", "Fee earned as a fraction of transaction amount.", min_value=0.0),
        Column(
            "allows_negative",
            "BOOLEAN",
            "The balance may go below zero (an overdraft on a current account); absent: false.",
            optional=True,
            default="false",
            since="2",
        ),
    ),
    ("product_id",),
)

CHANNELS = Table(
    "channels",
    "dimension",
    "Service channels, grouped by channel type (type > channel).",
    (
        Column("channel_id", "INTEGER", "Channel key."),
        Column(
            "channel_code",
            "VARCHAR",
            "Channel code (the system-posting codes go with channel type `system`).",
            allowed=(*CHANNEL_CODES, *SYSTEM_CHANNEL_CODES),
        ),
        Column("name_zh", "VARCHAR", "Channel name in Simplified Chinese.", fallback="name_en"),
        Column("name_en", "VARCHAR", "Channel name in English.", fallback="name_zh"),
        Column(
            "channel_type",
            "VARCHAR",
            "Channel type code; `system`: postings the bank books itself (interest, fees, standing "
            "orders), not a channel the customer chose.",
            allowed=(*CHANNEL_TYPES, SYSTEM_CHANNEL_TYPE),
        ),
        Column(
            "type_name_zh", "VARCHAR", "Channel type name in Simplified Chinese.", fallback="type_name_en"
        ),
        Column("type_name_en", "VARCHAR", "Channel type name in English.", fallback="type_name_zh"),
    ),
    ("channel_id",),
)

TRANSACTIONS = Table(
    "transactions",
    "fact",
    "One row per customer transaction.",
    (
        Column("txn_id", "BIGINT", "Transaction key."),
        Column(
            "txn_at",
            "TIMESTAMP",
            "When the transaction happened (local time); a date alone (YYYY-MM-DD) if the bank "
            "does not record the time of day.",
        ),
        Column("customer_id", "BIGINT", "Customer.", references="customers.customer_id"),
        Column("product_id", "INTEGER", "Product the transaction was on.", references="products.product_id"),
        Column("channel_id", "INTEGER", "Channel used.", references="channels.channel_id"),
        Column(
            "branch_id", "INTEGER", "Branch the transaction is booked to.", references="branches.branch_id"
        ),
        Column("txn_type", "VARCHAR", "Kind of transaction.", allowed=TXN_TYPES),
        Column("amount", "DOUBLE", "Amount in yuan (positive).", min_value=0.0),
        Column("fee", "DOUBLE", "Fee charged in yuan.", min_value=0.0),
        Column(
            "direction",
            "VARCHAR",
            "credit (money in) or debit (money out); empty or absent if the extract does not say.",
            nullable=True,
            allowed=DIRECTIONS,
            optional=True,
            since="2",
        ),
        Column(
            "time_known",
            "BOOLEAN",
            "Whether txn_at carries the time of day; absent: true where txn_at has a time part. "
            "Views by hour leave out transactions without one.",
            optional=True,
            default="true",
            since="2",
        ),
    ),
    ("txn_id",),
    date_column="txn_at",
)

HOLDINGS = Table(
    "holdings",
    "fact",
    "Month-end position of each product a customer holds; a row exists iff the product is held.",
    (
        Column("month_date", "DATE", "Month (first day)."),
        Column("customer_id", "BIGINT", "Customer.", references="customers.customer_id"),
        Column("product_id", "INTEGER", "Product held.", references="products.product_id"),
        Column(
            "balance",
            "DOUBLE",
            "Month-end balance in yuan (loans: outstanding principal); negative only on a product "
            "that allows_negative (an overdrawn account).",
            min_value=0.0,
            minimum_waived_by="products.allows_negative",
        ),
        Column(
            "avg_daily_balance",
            "DOUBLE",
            "Average daily balance over the month in yuan (negative as balance).",
            min_value=0.0,
            minimum_waived_by="products.allows_negative",
        ),
    ),
    ("month_date", "customer_id", "product_id"),
    date_column="month_date",
)

CAMPAIGNS = Table(
    "campaigns",
    "dimension",
    "Marketing campaigns run in the past.",
    (
        Column("campaign_id", "INTEGER", "Campaign key."),
        Column("name_zh", "VARCHAR", "Campaign name in Simplified Chinese.", fallback="name_en"),
        Column("name_en", "VARCHAR", "Campaign name in English.", fallback="name_zh"),
        Column("product_id", "INTEGER", "Product promoted.", references="products.product_id"),
        Column("channel_id", "INTEGER", "Main contact channel.", references="channels.channel_id"),
        Column("start_date", "DATE", "First day of the campaign."),
        Column("end_date", "DATE", "Last day of the campaign."),
        Column("cost", "DOUBLE", "Total cost in yuan.", min_value=0.0),
    ),
    ("campaign_id",),
    date_column="start_date",
    optional=True,
)

CAMPAIGN_CONTACTS = Table(
    "campaign_contacts",
    "fact",
    "Campaign history: who was targeted, contacted, and who responded.",
    (
        Column("campaign_id", "INTEGER", "Campaign.", references="campaigns.campaign_id"),
        Column("customer_id", "BIGINT", "Targeted customer.", references="customers.customer_id"),
        Column("channel_id", "INTEGER", "Channel of the contact.", references="channels.channel_id"),
        Column("contacted_date", "DATE", "Date of the (attempted) contact."),
        Column("contacted", "BOOLEAN", "The customer was actually reached."),
        Column("responded", "BOOLEAN", "The customer took up the offer."),
        Column("response_date", "DATE", "Date of the response; set only when responded.", nullable=True),
        Column(
            "response_amount", "DOUBLE", "Amount the response brought in yuan (0 if none).", min_value=0.0
        ),
    ),
    ("campaign_id", "customer_id"),
    date_column="contacted_date",
    optional=True,
)

BRANCH_TARGETS = Table(
    "branch_targets",
    "fact",
    "Monthly targets per branch.",
    (
        Column("month_date", "DATE", "Month (first day)."),
        Column("branch_id", "INTEGER", "Branch.", references="branches.branch_id"),
        Column("metric", "VARCHAR", "Target metric.", allowed=TARGET_METRICS),
        Column("target_value", "DOUBLE", "Target value (yuan, or a count for new_customers).", min_value=0.0),
    ),
    ("month_date", "branch_id", "metric"),
    date_column="month_date",
    optional=True,
)

MANAGER_TARGETS = Table(
    "manager_targets",
    "fact",
    "Monthly targets per relationship manager.",
    (
        Column("month_date", "DATE", "Month (first day)."),
        Column("manager_id", "INTEGER", "Relationship manager.", references="managers.manager_id"),
        Column("metric", "VARCHAR", "Target metric.", allowed=TARGET_METRICS),
        Column("target_value", "DOUBLE", "Target value (yuan, or a count for new_customers).", min_value=0.0),
    ),
    ("month_date", "manager_id", "metric"),
    date_column="month_date",
    optional=True,
)

# Load order respects foreign keys: a table only references tables before it.
SOURCE_TABLES: tuple[Table, ...] = (
    REGIONS,
    BRANCHES,
    MANAGERS,
    PRODUCTS,
    CHANNELS,
    CUSTOMERS,
    TRANSACTIONS,
    HOLDINGS,
    CAMPAIGNS,
    CAMPAIGN_CONTACTS,
    BRANCH_TARGETS,
    MANAGER_TARGETS,
)

# --- derived tables (built by data/derive.py at load time) -------------------------------

CALENDAR = Table(
    "calendar",
    "dimension",
    "One row per day covering the data's date range.",
    (
        Column("date_day", "DATE", "The day."),
        Column("year", "INTEGER", "Calendar year."),
        Column("quarter", "INTEGER", "Quarter 1-4."),
        Column("month", "INTEGER", "Month 1-12."),
        Column("month_date", "DATE", "First day of the month."),
        Column("day", "INTEGER", "Day of month."),
        Column("weekday", "INTEGER", "ISO weekday, 1 = Monday ... 7 = Sunday."),
        Column("is_weekend", "BOOLEAN", "Saturday or Sunday."),
        Column("is_month_end", "BOOLEAN", "Last day of its month."),
        Column("holiday", "VARCHAR", "Public holiday name (e.g. spring_festival), else null.", nullable=True),
    ),
    ("date_day",),
    source="derived",
)

# Channel codes become per-channel columns of the customer-month table.
CUSTOMER_MONTH_CHANNEL_COLUMNS = tuple(
    Column(f"{measure}_{code}", dtype, f"{what} through {code} in the month.", min_value=0.0)
    for code in CHANNEL_CODES
    for measure, dtype, what in (
        ("txn_count", "BIGINT", "Transactions"),
        ("txn_amount", "DOUBLE", "Transaction amount (yuan)"),
    )
)

AGE_BANDS = ("<25", "25-34", "35-44", "45-54", "55-64", "65+")
TENURE_BANDS = ("<1y", "1-3y", "3-5y", "5-10y", "10y+")

CUSTOMER_MONTH = Table(
    "customer_month",
    "fact",
    "One row per customer per month from the month they open until the month they close: "
    "the wide table that the cube and the mining models read.",
    (
        Column("month_date", "DATE", "Month (first day)."),
        Column("customer_id", "BIGINT", "Customer.", references="customers.customer_id"),
        Column("region_id", "INTEGER", "Region of the home branch.", references="regions.region_id"),
        Column("branch_id", "INTEGER", "Home branch.", references="branches.branch_id"),
        Column("manager_id", "INTEGER", "Relationship manager.", references="managers.manager_id"),
        Column("gender", "VARCHAR", "M, F or unknown.", allowed=(*GENDERS, UNKNOWN)),
        Column("age", "INTEGER", "Age in whole years at the month's end (null if unknown).", nullable=True),
        Column(
            "age_band", "VARCHAR", "Age band (unknown without a birth date).", allowed=(*AGE_BANDS, UNKNOWN)
        ),
        Column("income_band", "VARCHAR", "Monthly income band.", allowed=(*INCOME_BANDS, UNKNOWN)),
        Column("occupation", "VARCHAR", "Occupation group.", allowed=(*OCCUPATIONS, UNKNOWN)),
        Column("tenure_months", "INTEGER", "Whole months since open_date."),
        Column("tenure_band", "VARCHAR", "Tenure band.", allowed=TENURE_BANDS),
        Column("aum", "DOUBLE", "Assets under management: month-end deposit + investment balances."),
        Column("aum_adb", "DOUBLE", "Average daily balance of deposit + investment products."),
        Column("deposit_balance", "DOUBLE", "Month-end deposit balances."),
        Column("investment_balance", "DOUBLE", "Month-end fund, wealth and insurance balances."),
        Column("loan_balance", "DOUBLE", "Month-end loan and card balances outstanding."),
        Column("contribution", "DOUBLE", "Margin on average balances plus fees, in yuan, for the month."),
        Column("fee_income", "DOUBLE", "Fees charged in the month."),
        Column("txn_count", "BIGINT", "All transactions in the month."),
        Column("txn_amount", "DOUBLE", "Amount of all transactions in the month."),
        *CUSTOMER_MONTH_CHANNEL_COLUMNS,
        Column("product_count", "INTEGER", "Distinct products held at month end."),
        Column("is_active", "BOOLEAN", "At least one transaction in the month."),
        Column("is_dormant", "BOOLEAN", "Open, but no transaction in this and the previous five months."),
        Column("is_churned", "BOOLEAN", "The relationship closed in this month."),
        Column("is_new", "BOOLEAN", "The relationship opened in this month."),
        # The main channel: the channel code with most transactions in the month (ties go to the
        # code listed first in CHANNEL_CODES); null in a month without transactions.
        Column(
            "main_channel",
            "VARCHAR",
            "Channel with most transactions in the month (ties: first in channel-code order); "
            "null without transactions.",
            nullable=True,
            allowed=CHANNEL_CODES,
        ),
        Column(
            "main_channel_prev",
            "VARCHAR",
            "main_channel of the month before (null if none, or before the first data month).",
            nullable=True,
            allowed=CHANNEL_CODES,
        ),
        Column(
            "main_channel_ly",
            "VARCHAR",
            "main_channel 12 months before (null if none, or before the first data month).",
            nullable=True,
            allowed=CHANNEL_CODES,
        ),
    ),
    ("month_date", "customer_id"),
    source="derived",
)

AUM_TIERS = ("mass", "gold", "platinum", "diamond", "private")
# Lower bound (yuan, month-end AUM) of each AUM tier; "none": not a customer that month.
AUM_TIER_BOUNDS = {
    "mass": 0.0,
    "gold": 50_000.0,
    "platinum": 300_000.0,
    "diamond": 1_000_000.0,
    "private": 6_000_000.0,
}

CUSTOMER_TIERS = Table(
    "customer_tiers",
    "fact",
    "One row per customer per month (as customer_month), with the customer's place in the "
    "distribution: AUM tier by fixed bands this month, one month and twelve months before, "
    "bank-wide AUM and contribution deciles of the month, and the opening month (cohort).",
    (
        Column("month_date", "DATE", "Month (first day)."),
        Column("customer_id", "BIGINT", "Customer.", references="customers.customer_id"),
        Column("region_id", "INTEGER", "Region of the home branch.", references="regions.region_id"),
        Column("branch_id", "INTEGER", "Home branch.", references="branches.branch_id"),
        Column("manager_id", "INTEGER", "Relationship manager.", references="managers.manager_id"),
        Column("gender", "VARCHAR", "M, F or unknown.", allowed=(*GENDERS, UNKNOWN)),
        Column("age_band", "VARCHAR", "Age band.", allowed=(*AGE_BANDS, UNKNOWN)),
        Column("income_band", "VARCHAR", "Monthly income band.", allowed=(*INCOME_BANDS, UNKNOWN)),
        Column("occupation", "VARCHAR", "Occupation group.", allowed=(*OCCUPATIONS, UNKNOWN)),
        Column("tenure_band", "VARCHAR", "Tenure band.", allowed=TENURE_BANDS),
        Column("city", "VARCHAR", "City of residence."),
        Column("credit_grade", "VARCHAR", "Internal credit grade.", allowed=CREDIT_GRADES),
        Column("open_month", "DATE", "Month the relationship began (first day): the cohort."),
        Column("aum", "DOUBLE", "Month-end AUM (as customer_month)."),
        Column("contribution", "DOUBLE", "Contribution in the month (as customer_month)."),
        Column("aum_tier", "VARCHAR", "AUM tier by fixed bands of month-end AUM.", allowed=AUM_TIERS),
        Column(
            "aum_tier_before",
            "VARCHAR",
            "AUM tier one month before ('none': not a customer then).",
            allowed=(*AUM_TIERS, "none"),
        ),
        Column(
            "aum_tier_year_before",
            "VARCHAR",
            "AUM tier twelve months before ('none': not a customer then, or before the data).",
            allowed=(*AUM_TIERS, "none"),
        ),
        Column("aum_decile", "INTEGER", "Bank-wide AUM decile of the month, 1 = the top 10%.", min_value=1.0),
        Column(
            "contribution_decile",
            "INTEGER",
            "Bank-wide contribution decile of the month, 1 = the top 10%.",
            min_value=1.0,
        ),
        Column("is_churned", "BOOLEAN", "The relationship closed in this month."),
    ),
    ("month_date", "customer_id"),
    source="derived",
)

DERIVED_TABLES: tuple[Table, ...] = (CALENDAR, CUSTOMER_MONTH, CUSTOMER_TIERS)


@dataclass(frozen=True)
class Meta:
    """Key/value facts about a built warehouse (table ``meta``)."""

    keys: tuple[str, ...] = field(
        default=(
            "data_version",
            "built_at",
            "source",
            "first_month",
            "last_month",
            "contract_version",
            "layout",  # data.layout.fingerprint(): derived tables and rollups this build has
            "not_loaded",  # optional source tables absent or empty in the extract, comma-separated
            "extract_version",  # contract version the extract was made for (older ones are migrated)
        )
    )


CONTRACT_VERSION = "2"
# What each version changed, for the contract doc and for the importer's messages about an
# extract made for an older version (which it migrates: every change since 1 is optional).
CONTRACT_CHANGES: dict[str, tuple[str, ...]] = {
    "1": ("First version.",),
    "2": (
        "Optional tables: campaigns, campaign_contacts, branch_targets and manager_targets may be "
        "absent or empty.",
        "products.allows_negative (optional): holdings balances may be negative on such products.",
        "transactions.direction (optional): credit or debit.",
        "transactions.time_known (optional), and txn_at may be a date alone.",
        "channels: channel type `system` with codes interest_posting, fee_posting, standing_order.",
        "customers: `unknown` allowed for gender, occupation and income_band (also for an empty "
        "cell or an absent column); birth_date may be empty (age band `unknown`).",
        "customers.name, phone and id_card_no may be empty or absent (masked before export).",
        "Names in one language only: an empty or absent name_zh/name_en (and category_, type_ "
        "names) takes the other.",
    ),
}
# Versions an extract may be made for: older ones are migrated (new optional columns filled).
READABLE_VERSIONS = ("1", "2")
VERSION_FILE = "contract_version.txt"
TABLES: dict[str, Table] = {t.name: t for t in (*SOURCE_TABLES, *DERIVED_TABLES)}
