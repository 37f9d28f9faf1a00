"""Bilingual display names of coded values that have no name table in the warehouse."""

from __future__ import annotations

# A demographic attribute the bank does not know (contract.UNKNOWN); listed last in each.
UNKNOWN = ("Unknown", "未知")
GENDER = {"M": ("Male", "男"), "F": ("Female", "女"), "unknown": UNKNOWN}
AGE_BAND = {
    **{b: (b, b.replace("65+", "65岁以上")) for b in ("<25", "25-34", "35-44", "45-54", "55-64", "65+")},
    "unknown": UNKNOWN,
}
TENURE_BAND = {
    "<1y": ("< 1 year", "1年以内"),
    "1-3y": ("1-3 years", "1-3年"),
    "3-5y": ("3-5 years", "3-5年"),
    "5-10y": ("5-10 years", "5-10年"),
    "10y+": ("10+ years", "10年以上"),
}
INCOME_BAND = {
    "low": ("Low", "低收入"),
    "lower_middle": ("Lower middle", "中低收入"),
    "middle": ("Middle", "中等收入"),
    "upper_middle": ("Upper middle", "中高收入"),
    "high": ("High", "高收入"),
    "unknown": UNKNOWN,
}
OCCUPATION = {
    "civil_servant": ("Civil servant", "公务员"),
    "professional": ("Professional", "专业人士"),
    "enterprise_staff": ("Enterprise staff", "企业职员"),
    "self_employed": ("Self-employed", "个体经营"),
    "worker": ("Worker", "工人"),
    "farmer": ("Farmer", "农民"),
    "student": ("Student", "学生"),
    "retired": ("Retired", "退休"),
    "other": ("Other", "其他"),
    "unknown": UNKNOWN,
}
TXN_TYPE = {
    "deposit": ("Deposit", "存款"),
    "withdrawal": ("Withdrawal", "取款"),
    "transfer": ("Transfer", "转账"),
    "payment": ("Payment", "缴费支付"),
    "purchase": ("Purchase", "消费"),
    "repayment": ("Repayment", "还款"),
    "investment": ("Investment", "投资"),
    "exchange": ("Exchange", "结售汇"),
}
WEEKDAY = {
    str(i): (en, zh)
    for i, en, zh in (
        (1, "Monday", "星期一"),
        (2, "Tuesday", "星期二"),
        (3, "Wednesday", "星期三"),
        (4, "Thursday", "星期四"),
        (5, "Friday", "星期五"),
        (6, "Saturday", "星期六"),
        (7, "Sunday", "星期日"),
    )
}
METRIC = {
    "aum": ("AUM", "管理资产"),
    "deposits": ("Deposits", "存款"),
    "loans": ("Loans", "贷款"),
    "contribution": ("Contribution", "贡献"),
    "new_customers": ("New customers", "新增客户"),
}
BALANCE_TYPE = {
    "deposit": ("Deposit", "存款类"),
    "investment": ("Investment", "投资类"),
    "loan": ("Loan", "贷款类"),
    "none": ("No balance", "无余额"),
}
VALUE_TIER = {
    "private": ("Private banking", "私人银行"),
    "vip": ("VIP", "贵宾"),
    "gold": ("Gold", "金卡"),
    "silver": ("Silver", "银卡"),
    "mass": ("Mass", "大众"),
}
# the label of a customer a model has not scored (no published run, or a newer customer)
NOT_SCORED = ("Not scored", "未评分")

# Headers and formats of drill-through (detail) columns, by column name: (en, zh, format).
# Every cube's detail columns must appear here (validation rule LabelsAndFormats).
DETAIL_COLUMNS: dict[str, tuple[str, str, str]] = {
    "month_date": ("Month", "月份", "month"),
    "customer_id": ("Customer", "客户号", "id"),
    "branch_id": ("Branch", "网点", "id"),
    "manager_id": ("Manager", "客户经理", "id"),
    "product_id": ("Product", "产品", "id"),
    "channel_id": ("Channel", "渠道", "id"),
    "campaign_id": ("Campaign", "营销活动", "id"),
    "age_band": ("Age band", "年龄段", "text"),
    "aum": ("AUM", "管理资产", "money"),
    "deposit_balance": ("Deposits", "存款", "money"),
    "loan_balance": ("Loans", "贷款", "money"),
    "contribution": ("Contribution", "贡献", "money"),
    "txn_count": ("Transactions", "交易笔数", "count"),
    "txn_id": ("Transaction", "交易号", "id"),
    "txn_at": ("Time", "交易时间", "datetime"),
    "txn_type": ("Type", "交易类型", "text"),
    "amount": ("Amount", "金额", "money"),
    "fee": ("Fee", "手续费", "money"),
    "balance": ("Balance", "余额", "money"),
    "avg_daily_balance": ("Average daily balance", "日均余额", "money"),
    "contacted_date": ("Contacted on", "接触日期", "date"),
    "contacted": ("Contacted", "已接触", "bool"),
    "responded": ("Responded", "已响应", "bool"),
    "response_amount": ("Response amount", "响应金额", "money"),
    "region_id": ("Region", "区域", "id"),
    "other_product_id": ("Also holds", "同时持有", "id"),
    "customers": ("Customers", "客户数", "count"),
    # published model scores a customer list may show (cube.api.drill_through columns=)
    "segment_name": ("Segment", "客群", "text"),
    "value_tier": ("Value tier", "价值层级", "text"),
    "value_score": ("Value score", "价值评分", "number"),
    "is_potential": ("Potential big customer", "潜力大客户", "bool"),
    "best_offer": ("Best next offer", "最佳推荐产品", "text"),
    "offer_score": ("Offer score", "推荐评分", "number"),
    "offer_value": ("Expected value", "期望价值", "money"),
    "propensity_band": ("Propensity band", "倾向等级", "text"),
    "churn_score": ("Churn score", "流失评分", "number"),
    "churn_band": ("Churn risk band", "流失风险等级", "text"),
    "value_at_risk": ("Value at risk", "风险价值", "money"),
    "churn_driver": ("Main driver", "主要驱动因素", "text"),
    "activation_value": ("Activation value", "激活价值", "money"),
    "activation_band": ("Activation band", "激活等级", "text"),
}
