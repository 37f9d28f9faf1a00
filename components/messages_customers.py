"""Texts of the Customers view, en and zh (merged into the one catalog by components.i18n)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "customers.title": {"en": "Customers", "zh": "客户分析"},
    "customers.period": {
        "en": "Month {period}; compared with {other}",
        "zh": "统计月份 {period}; 对比月份 {other}",
    },
    "customers.structure": {"en": "Structure", "zh": "客户结构"},
    "customers.pivot_rows": {"en": "Rows", "zh": "行"},
    "customers.pivot_cols": {"en": "Columns", "zh": "列"},
    "customers.pivot_measure": {"en": "Figure", "zh": "指标"},
    "customers.total": {"en": "Total", "zh": "合计"},
    "customers.pivot_note": {
        "en": "Every cell, subtotal and total is counted by the cube itself. Click a row for the menu.",
        "zh": "每个单元格、小计和合计均由数据立方体直接统计。点击行可打开菜单。",
    },
    "customers.behaviour": {"en": "Behaviour", "zh": "客户行为"},
    "customers.channels": {"en": "Transactions per customer by channel", "zh": "分渠道户均交易笔数"},
    "customers.types": {"en": "Transactions per customer by type", "zh": "分类型户均交易笔数"},
    "customers.types_note": {
        "en": "Transactions are counted at the branch that booked them; customers at their home branch.",
        "zh": "交易按记账网点统计,客户按归属网点统计。",
    },
    "customers.per_customer": {"en": "Transactions per customer", "zh": "户均交易笔数"},
    "customers.segments": {"en": "Activity and products by segment", "zh": "分客群活跃度与持有产品"},
    "customers.inactive": {"en": "Inactive customers", "zh": "非活跃客户数"},
    "customers.not_scored": {
        "en": 'No segmentation run is published for this data: every customer reads "Not scored".',
        "zh": '当前数据尚未发布客群细分结果,所有客户显示为"未评分"。',
    },
    "customers.value": {"en": "Value", "zh": "客户价值"},
    "customers.pyramid": {"en": "Customer pyramid by value tier", "zh": "客户价值金字塔"},
    "customers.value_not_run": {
        "en": "The value model has not run on this data.",
        "zh": "价值模型尚未在当前数据上运行。",
    },
    "customers.run_it": {"en": "Run it on the Model runs page", "zh": "在模型运行页面运行"},
    "customers.ask_analyst": {
        "en": "An analyst or an administrator can run it on the Model runs page.",
        "zh": "分析师或系统管理员可在模型运行页面运行。",
    },
    "customers.pareto": {"en": "Concentration (Pareto curve)", "zh": "集中度(帕累托曲线)"},
    "customers.pareto_summary": {
        "en": "The top 20% of customers hold {aum} of AUM and bring {contribution} of contribution.",
        "zh": "前20%的客户持有 {aum} 的AUM,贡献 {contribution} 的收益。",
    },
    "customers.pareto_note": {
        "en": "Points at the bank-wide deciles of the month: exact points of this selection's own curve.",
        "zh": "曲线点位于全行当月十分位处,是当前所选客户自身曲线上的精确点。",
    },
    "customers.share_customers": {"en": "Share of customers (largest first)", "zh": "客户占比(从高到低)"},
    "customers.share_held": {"en": "Share held", "zh": "累计占比"},
    "customers.deciles": {"en": "Contribution by decile", "zh": "贡献十分位分布"},
    "customers.big": {"en": "Big customers (private banking and VIP)", "zh": "大客户(私人银行与贵宾)"},
    "customers.potential_missing": {
        "en": "Potential big customers: the value run flags them, but the flag is not yet a cube "
        "dimension, so they cannot be listed here.",
        "zh": "潜在大客户:价值模型已标记,但该标记尚未作为分析维度发布,暂无法在此列出。",
    },
    "customers.change": {"en": "Change", "zh": "客户变动"},
    "customers.flows": {"en": "New, lost and net customers by month", "zh": "每月新增、流失与净增客户"},
    "customers.new": {"en": "New", "zh": "新增"},
    "customers.lost": {"en": "Lost", "zh": "流失"},
    "customers.net": {"en": "Net", "zh": "净增"},
    "customers.cohorts": {"en": "Cohort retention", "zh": "开户批次留存"},
    "customers.cohort": {"en": "Opened in", "zh": "开户月份"},
    "customers.opened": {"en": "Opened", "zh": "开户数"},
    "customers.after": {"en": "+{n}m", "zh": "+{n}月"},
    "customers.cohorts_note": {
        "en": "Share of each month's new customers still open N months later.",
        "zh": "各月新开户客户在N个月后仍保持开户状态的比例。",
    },
    "customers.migration": {"en": "AUM tier migration since {other}", "zh": "资产层级迁移(对比 {other})"},
    "customers.migration_free": {
        "en": "Tier migration compares with the previous month or the same month last year: choose "
        "one of those comparisons in the filter bar.",
        "zh": "层级迁移仅支持与上月或去年同月对比,请在筛选栏中选择其一。",
    },
    "customers.migration_summary": {
        "en": "Moved up: {up}; moved down: {down}; same tier: {same}.",
        "zh": "升级: {up};降级: {down};层级不变: {same}。",
    },
    "customers.tier_then": {"en": "Tier then", "zh": "原层级"},
    "customers.gone": {"en": "No longer customers", "zh": "已流失"},
    "customers.tiers_note": {
        "en": "AUM tiers by month-end AUM: < 50K, 50K-300K, 300K-1M, 1M-6M, 6M+ yuan. Rows: tier then; "
        "columns: tier now.",
        "zh": "资产层级按月末AUM划分: 5万以下、5万-30万、30万-100万、100万-600万、600万以上。"
        "行为原层级,列为当前层级。",
    },
    "customers.risk": {"en": "Risk", "zh": "客户风险"},
    "customers.churn_not_run": {
        "en": "Customers most likely to leave: the churn model has not run on this data.",
        "zh": "最可能流失的客户:流失模型尚未在当前数据上运行。",
    },
    "customers.churn_bands": {
        "en": "Churn model ({month}): {high} customers in your scope at high risk of leaving (the top 10% "
        "of scores), {medium} at medium risk (the next 20%).",
        "zh": "流失模型({month}):您权限范围内高流失风险客户 {high} 位(评分前10%),"
        "中风险 {medium} 位(其后20%)。",
    },
    "customers.churn_list": {
        "en": "Their list, with the driver behind each score and the value at risk, is on the "
        "Cross-sell page",
        "zh": "客户名单(含每位客户的主要驱动因素与风险价值)见交叉销售页面",
    },
    "customers.dormant": {"en": "Dormant customers", "zh": "睡眠客户"},
    "customers.dormant_note": {
        "en": "{dormant} dormant customers (no transaction in six months) in the month. Ranking them by "
        "activation value needs the churn model's dormant ranking, not yet published for analysis.",
        "zh": "本月共有 {dormant} 位睡眠客户(连续六个月无交易)。"
        "按激活价值排序需要流失模型的睡眠客户排名,该结果尚未发布。",
    },
    "customers.rows_hidden": {
        "en": "Customer lists are not shown for your role; the figures above are aggregates.",
        "zh": "您的角色不显示客户明细,以上均为汇总数据。",
    },
    "customers.empty": {"en": "No customers in this selection.", "zh": "当前筛选下没有客户。"},
}
