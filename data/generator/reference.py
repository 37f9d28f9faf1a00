"""Fixed reference data for the synthetic bank: regions, cities, products, channels, names, segments.

Everything here is a constant table; the generator draws from it. Behaviour parameters of the
six latent segments live here too, so the planted truth is declared in one readable place.
"""

from __future__ import annotations

from data import contract

# --- organisation --------------------------------------------------------------------------

# region (zh, en) -> cities (zh, en, 6-digit ID-card area code)
REGIONS: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("华东区", "East China", (("上海", "Shanghai", "310101"), ("杭州", "Hangzhou", "330102"),
                              ("南京", "Nanjing", "320102"), ("苏州", "Suzhou", "320505"))),
    ("华北区", "North China", (("北京", "Beijing", "110101"), ("天津", "Tianjin", "120101"),
                               ("石家庄", "Shijiazhuang", "130102"))),
    ("华南区", "South China", (("广州", "Guangzhou", "440103"), ("深圳", "Shenzhen", "440303"),
                               ("厦门", "Xiamen", "350203"))),
    ("华中区", "Central China", (("武汉", "Wuhan", "420102"), ("长沙", "Changsha", "430102"),
                                 ("郑州", "Zhengzhou", "410102"))),
    ("西南区", "Southwest", (("成都", "Chengdu", "510104"), ("重庆", "Chongqing", "500103"),
                             ("昆明", "Kunming", "530102"))),
    ("西北区", "Northwest", (("西安", "Xi'an", "610102"), ("兰州", "Lanzhou", "620102"))),
)  # fmt: skip

DISTRICTS: tuple[tuple[str, str], ...] = (
    ("人民路", "Renmin Road"), ("中山路", "Zhongshan Road"), ("解放路", "Jiefang Road"),
    ("建设路", "Jianshe Road"), ("新华路", "Xinhua Road"), ("高新区", "Hi-Tech Zone"),
    ("开发区", "Development Zone"), ("城南", "Chengnan"), ("城北", "Chengbei"), ("东城", "Dongcheng"),
    ("西城", "Xicheng"), ("滨江", "Binjiang"), ("湖滨", "Hubin"), ("科技园", "Science Park"),
    ("火车站", "Railway Station"), ("大学城", "University Town"), ("金融街", "Financial Street"),
    ("商业街", "Commercial Street"), ("新区", "New District"), ("港口", "Harbour"),
)  # fmt: skip

# --- products ------------------------------------------------------------------------------

CATEGORY_NAMES = contract.CATEGORY_NAMES  # (zh, en) per category
BALANCE_TYPE: dict[str, str] = {
    "demand_deposit": "deposit",
    "time_deposit": "deposit",
    "debit_card": "none",
    "credit_card": "loan",
    "consumer_loan": "loan",
    "mortgage": "loan",
    "business_loan": "loan",
    "fund": "investment",
    "wealth_management": "investment",
    "insurance": "investment",
    "forex": "none",
    "utility_payment": "none",
    "other_service": "none",
}

# (code, zh, en, category, margin_rate, fee_rate); product_id is the 1-based position.
PRODUCTS: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("DD01", "活期储蓄", "Demand Savings", "demand_deposit", 0.020, 0.0),
    ("TD03", "三个月定期", "3-Month Time Deposit", "time_deposit", 0.010, 0.0),
    ("TD12", "一年期定期", "1-Year Time Deposit", "time_deposit", 0.013, 0.0),
    ("DC01", "借记卡", "Debit Card", "debit_card", 0.0, 0.001),
    ("CC01", "信用卡", "Credit Card", "credit_card", 0.080, 0.004),
    ("CL01", "个人消费贷款", "Personal Consumer Loan", "consumer_loan", 0.040, 0.0),
    ("ML01", "个人住房贷款", "Home Mortgage", "mortgage", 0.012, 0.0),
    ("BL01", "个人经营贷款", "Small Business Loan", "business_loan", 0.025, 0.0),
    ("FD01", "精选基金", "Selected Funds", "fund", 0.008, 0.012),
    ("WM01", "稳健理财", "Stable Wealth Product", "wealth_management", 0.006, 0.003),
    ("IN01", "分红保险", "Participating Insurance", "insurance", 0.010, 0.008),
    ("FX01", "外汇兑换", "Foreign Exchange", "forex", 0.0, 0.003),
    ("UP01", "生活缴费", "Utility Payment", "utility_payment", 0.0, 0.001),
    ("OS01", "短信通知", "SMS Alerts", "other_service", 0.0, 0.002),
)
CATEGORIES = contract.PRODUCT_CATEGORIES
# Product ids per category (time deposits come in two terms; the rest have one product).
CATEGORY_PRODUCTS: dict[str, tuple[int, ...]] = {
    cat: tuple(i + 1 for i, p in enumerate(PRODUCTS) if p[3] == cat) for cat in CATEGORIES
}

# Planted product affinity pairs (holding the first raises the chance of holding the second).
AFFINITY_PAIRS: tuple[tuple[str, str], ...] = (
    ("CC01", "CL01"),
    ("ML01", "IN01"),
    ("FD01", "WM01"),
    ("BL01", "FX01"),
)

# --- channels ------------------------------------------------------------------------------

CHANNEL_TYPE_NAMES = {
    "branch": ("网点柜面", "Branch"),
    "self_service": ("自助设备", "Self-service"),
    "digital": ("电子渠道", "Digital"),
    "remote": ("远程服务", "Remote"),
    "merchant": ("商户收单", "Merchant"),
}
# (code, zh, en, type) in contract.CHANNEL_CODES order; channel_id is the 1-based position.
CHANNEL_TYPE_OF: dict[str, str] = {
    "counter": "branch",
    "atm": "self_service",
    "cdm": "self_service",
    "phone_banking": "remote",
    "online_banking": "digital",
    "mobile_banking": "digital",
    "pos": "merchant",
    "wealth_centre": "branch",
    "call_centre": "remote",
}
CHANNELS: tuple[tuple[str, str, str, str], ...] = tuple(
    (code, *contract.CHANNEL_NAMES[code], CHANNEL_TYPE_OF[code]) for code in contract.CHANNEL_CODES
)

# Hour-of-day weights per channel (index = hour 0..23).
_DAY = [0.2] * 7 + [1] * 17
HOUR_WEIGHTS: dict[str, list[float]] = {
    "counter": [0] * 9 + [3, 4, 4, 2, 2.5, 3.5, 3.5, 2.5] + [0] * 7,
    "atm": [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2, 2, 2, 2.2, 3, 2.2, 2, 2, 2.2, 2.8, 3.2, 3, 2.5,
            1.8, 1.2, 0.6],
    "cdm": [0.1] * 7 + [0.8, 1.5, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1.5, 1.2, 1, 0.6, 0.3, 0.1],
    "phone_banking": [0] * 8 + [2, 3, 3, 2.5, 2, 2.5, 2.5, 2.5, 2, 2, 1.5, 1.5, 1, 0.5] + [0] * 2,
    "online_banking": [0.2, 0.1, 0.1, 0, 0, 0, 0.2, 0.5, 1.5, 3, 3, 2.5, 2, 2.5, 3, 3, 2.5, 2, 1.5, 1.8,
                       2, 2.2, 1.2, 0.5],
    "mobile_banking": [0.6, 0.3, 0.15, 0.1, 0.1, 0.2, 0.6, 1.5, 2.5, 2, 2, 2, 3, 2.5, 2, 2, 2, 2.2, 2.5,
                       3, 3.5, 3.8, 3, 1.5],
    "pos": [0.2, 0.1, 0, 0, 0, 0, 0.1, 0.5, 1, 1.2, 1.8, 2.5, 3.5, 2.5, 2, 2, 2.2, 2.8, 3.5, 3.8, 3.2,
            2.5, 1.5, 0.6],
    "wealth_centre": [0] * 9 + [2, 3.5, 3.5, 1.5, 2, 3.5, 3.5, 2.5] + [0] * 7,
    "call_centre": [0] * 8 + [1.5, 2.5, 3, 3, 2, 2.5, 2.5, 2.5, 2, 1.8, 1.5, 1.2, 1, 0.8, 0.3, 0],
}  # fmt: skip
# Weekday weights per channel (Monday .. Sunday).
WEEKDAY_WEIGHTS: dict[str, list[float]] = {
    "counter": [1.15, 1.0, 1.0, 1.0, 1.1, 0.45, 0.2],
    "atm": [1.0, 0.95, 0.95, 0.95, 1.1, 1.15, 1.0],
    "cdm": [1.1, 1.0, 1.0, 1.0, 1.1, 0.8, 0.6],
    "phone_banking": [1.1, 1.0, 1.0, 1.0, 1.0, 0.7, 0.6],
    "online_banking": [1.15, 1.1, 1.05, 1.05, 1.0, 0.7, 0.65],
    "mobile_banking": [1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.05],
    "pos": [0.85, 0.85, 0.9, 0.9, 1.1, 1.45, 1.35],
    "wealth_centre": [1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.25],
    "call_centre": [1.2, 1.0, 1.0, 1.0, 1.0, 0.7, 0.6],
}
# Channels people keep using (or use more) in the Spring Festival week; counters mostly close.
FESTIVAL_BOOST = {"pos": 1.6, "mobile_banking": 1.5, "atm": 1.5, "online_banking": 1.2, "cdm": 1.2}
FESTIVAL_CLOSED = {"counter": 0.15, "wealth_centre": 0.1, "phone_banking": 0.6}
# Yearly growth of a channel's weight: the mix drifts to mobile, away from counters.
CHANNEL_DRIFT = {
    "counter": 0.78,
    "atm": 0.85,
    "cdm": 0.85,
    "phone_banking": 0.75,
    "online_banking": 0.95,
    "mobile_banking": 1.45,
}

# Product category a transaction is on, per channel (weights over CATEGORIES).
CHANNEL_CATEGORY: dict[str, dict[str, float]] = {
    "counter": {"demand_deposit": 0.45, "time_deposit": 0.2, "business_loan": 0.05, "mortgage": 0.03,
                "consumer_loan": 0.03, "forex": 0.05, "insurance": 0.04, "other_service": 0.1,
                "fund": 0.03, "wealth_management": 0.02},
    "atm": {"debit_card": 0.65, "demand_deposit": 0.3, "credit_card": 0.05},
    "cdm": {"demand_deposit": 0.6, "debit_card": 0.4},
    "phone_banking": {"demand_deposit": 0.4, "credit_card": 0.3, "utility_payment": 0.3},
    "online_banking": {"demand_deposit": 0.35, "fund": 0.08, "wealth_management": 0.07,
                       "utility_payment": 0.15, "mortgage": 0.1, "business_loan": 0.1,
                       "credit_card": 0.1, "forex": 0.05},
    "mobile_banking": {"demand_deposit": 0.35, "credit_card": 0.15, "utility_payment": 0.2, "fund": 0.07,
                       "wealth_management": 0.05, "consumer_loan": 0.08, "mortgage": 0.05,
                       "insurance": 0.02, "other_service": 0.03},
    "pos": {"credit_card": 0.6, "debit_card": 0.4},
    "wealth_centre": {"fund": 0.35, "wealth_management": 0.35, "insurance": 0.15, "time_deposit": 0.1,
                      "forex": 0.05},
    "call_centre": {"credit_card": 0.4, "other_service": 0.4, "demand_deposit": 0.2},
}  # fmt: skip

# Transaction types per category (weights over contract.TXN_TYPES) and median amount (yuan).
CATEGORY_TXN: dict[str, tuple[dict[str, float], float]] = {
    "demand_deposit": ({"deposit": 0.3, "withdrawal": 0.3, "transfer": 0.4}, 2000),
    "time_deposit": ({"deposit": 0.6, "withdrawal": 0.4}, 50000),
    "debit_card": ({"purchase": 0.5, "withdrawal": 0.3, "payment": 0.2}, 300),
    "credit_card": ({"purchase": 0.8, "repayment": 0.2}, 400),
    "consumer_loan": ({"repayment": 0.9, "transfer": 0.1}, 3000),
    "mortgage": ({"repayment": 1.0}, 6000),
    "business_loan": ({"repayment": 0.6, "transfer": 0.4}, 30000),
    "fund": ({"investment": 1.0}, 20000),
    "wealth_management": ({"investment": 1.0}, 50000),
    "insurance": ({"payment": 0.7, "investment": 0.3}, 5000),
    "forex": ({"exchange": 1.0}, 8000),
    "utility_payment": ({"payment": 1.0}, 200),
    "other_service": ({"payment": 0.5, "transfer": 0.5}, 500),
}

# --- people --------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛明超斌浩鹏辉刚健平波宇俊峰亮建国华文博志成龙飞翔东晨阳凯鑫帅林"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华玲婷雪慧琳颖倩洁晶欣怡佳蕾梅丹萍燕红莉璐月婧妍悦瑶雯"
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
    "158", "159", "166", "176", "177", "180", "181", "182", "183", "186", "187", "188", "189", "191", "199",
)  # fmt: skip

# --- latent behaviour segments -------------------------------------------------------------

SEGMENT_NAMES = (
    "digital_young_spenders",
    "traditional_savers",
    "affluent_investors",
    "mortgage_families",
    "small_business_owners",
    "low_engagement_mass",
)
SEGMENT_SHARE = (0.20, 0.17, 0.08, 0.16, 0.10, 0.29)
SEGMENT_AGE = ((28, 5), (60, 9), (48, 9), (37, 6), (43, 8), (40, 15))  # mean, sd
# Income band probabilities (low .. high).
SEGMENT_INCOME = (
    (0.20, 0.35, 0.30, 0.10, 0.05),
    (0.25, 0.35, 0.25, 0.10, 0.05),
    (0.00, 0.03, 0.17, 0.35, 0.45),
    (0.05, 0.20, 0.40, 0.25, 0.10),
    (0.05, 0.15, 0.35, 0.25, 0.20),
    (0.40, 0.35, 0.18, 0.05, 0.02),
)
SEGMENT_TXN_RATE = (8.6, 2.9, 5.8, 5.8, 8.0, 1.05)  # mean transactions per month
SEGMENT_AUM = ((10.0, 1.0), (11.9, 0.8), (14.0, 0.9), (11.0, 0.9), (12.6, 1.0), (8.5, 1.1))  # log mu, sd
# Channel weights per segment, in contract.CHANNEL_CODES order.
SEGMENT_CHANNELS = (
    (0.03, 0.08, 0.01, 0.01, 0.05, 0.50, 0.32, 0.00, 0.00),
    (0.45, 0.25, 0.08, 0.08, 0.03, 0.05, 0.05, 0.00, 0.01),
    (0.10, 0.03, 0.00, 0.03, 0.15, 0.25, 0.12, 0.30, 0.02),
    (0.06, 0.12, 0.02, 0.01, 0.30, 0.27, 0.18, 0.00, 0.04),
    (0.30, 0.07, 0.08, 0.05, 0.33, 0.14, 0.03, 0.00, 0.00),
    (0.15, 0.55, 0.05, 0.01, 0.02, 0.12, 0.10, 0.00, 0.00),
)
# Holding probability per segment, in CATEGORIES order:
# DD TD DC CC CL ML BL FD WM IN FX UP OS
SEGMENT_HOLDING = (
    (1, 0.10, 0.95, 0.75, 0.25, 0.05, 0.02, 0.12, 0.05, 0.05, 0.05, 0.65, 0.30),
    (1, 0.85, 0.70, 0.12, 0.03, 0.03, 0.02, 0.08, 0.15, 0.30, 0.03, 0.35, 0.40),
    (1, 0.55, 0.90, 0.55, 0.08, 0.20, 0.05, 0.75, 0.75, 0.40, 0.30, 0.40, 0.50),
    (1, 0.20, 0.90, 0.45, 0.22, 0.90, 0.03, 0.10, 0.08, 0.40, 0.03, 0.60, 0.30),
    (1, 0.30, 0.90, 0.40, 0.10, 0.15, 0.75, 0.10, 0.10, 0.10, 0.20, 0.45, 0.35),
    (1, 0.05, 0.75, 0.05, 0.02, 0.01, 0.01, 0.01, 0.01, 0.03, 0.01, 0.10, 0.10),
)
# How AUM is split over the asset categories a customer holds: DD TD FD WM IN.
SEGMENT_AUM_SPLIT = (
    (0.70, 0.15, 0.10, 0.03, 0.02),
    (0.25, 0.60, 0.05, 0.05, 0.05),
    (0.15, 0.20, 0.30, 0.30, 0.05),
    (0.50, 0.20, 0.10, 0.05, 0.15),
    (0.55, 0.25, 0.08, 0.08, 0.04),
    (0.90, 0.05, 0.02, 0.02, 0.01),
)
# Share of a segment's customers who close (churn) or go dormant over a 24-month extract.
SEGMENT_CHURN = (0.12, 0.05, 0.06, 0.04, 0.09, 0.15)
SEGMENT_DORMANT = (0.02, 0.05, 0.01, 0.01, 0.02, 0.10)
# Loan balances at origination: log median, sd.
LOAN_BALANCE = {
    "credit_card": (8.7, 0.9),
    "consumer_loan": (11.2, 0.6),
    "mortgage": (13.3, 0.5),
    "business_loan": (12.9, 0.8),
}
