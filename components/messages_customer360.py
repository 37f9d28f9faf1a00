"""Texts of the Customer 360 page, en and zh (merged into the one catalog by components.i18n)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "c360.title": {"en": "Customer 360", "zh": "客户360视图"},
    "c360.search_label": {"en": "Customer number", "zh": "客户号"},
    "c360.search_placeholder": {"en": "e.g. 100000123", "zh": "例如 100000123"},
    "c360.open": {"en": "Open", "zh": "查看"},
    "c360.search_hint": {
        "en": "Enter a customer number, or open a customer from any customer list (the number is a link).",
        "zh": "输入客户号，或在任一客户名单中点击客户号打开。",
    },
    "c360.bad_id": {
        "en": "A customer number has digits only (up to 18).",
        "zh": "客户号只能由数字组成（最多18位）。",
    },
    "c360.not_found": {
        "en": "Customer {customer}: not found or not in your scope.",
        "zh": "客户 {customer}：不存在或不在您的权限范围内。",
    },
    "c360.refused": {
        "en": "Your role shows aggregates only: customers cannot be opened one by one.",
        "zh": "您的角色仅可查看汇总数据，不能查看单个客户。",
    },
    "c360.loading": {"en": "Loading the customer…", "zh": "正在加载客户信息…"},
    "c360.as_of": {
        "en": "Figures to {month} (latest month with data for this customer)",
        "zh": "数据截至 {month}（该客户有数据的最近月份）",
    },
    "c360.closed": {
        "en": "The relationship ended: no data after {month}.",
        "zh": "客户关系已终止：{month} 之后无数据。",
    },
    # profile card
    "c360.profile": {"en": "Profile", "zh": "客户概况"},
    "c360.customer": {"en": "Customer {customer}", "zh": "客户 {customer}"},
    "c360.name": {"en": "Name", "zh": "姓名"},
    "c360.phone": {"en": "Phone", "zh": "手机号"},
    "c360.id_card": {"en": "ID card number", "zh": "身份证号"},
    "c360.masked_note": {
        "en": "Identities are masked for your role.",
        "zh": "根据您的角色，身份信息已脱敏显示。",
    },
    "c360.org": {"en": "Branch / relationship manager", "zh": "归属网点 / 客户经理"},
    "c360.region": {"en": "Region", "zh": "区域"},
    "c360.demographics": {"en": "Gender / age band", "zh": "性别 / 年龄段"},
    "c360.income_occupation": {"en": "Income / occupation", "zh": "收入 / 职业"},
    "c360.city": {"en": "City", "zh": "城市"},
    "c360.credit_grade": {"en": "Credit grade", "zh": "信用等级"},
    "c360.opened": {"en": "Customer since", "zh": "开户月份"},
    "c360.tenure": {"en": "Tenure", "zh": "客龄"},
    "c360.status": {"en": "Status this month", "zh": "本月状态"},
    "c360.status.active": {"en": "Active", "zh": "活跃"},
    "c360.status.dormant": {"en": "Dormant", "zh": "睡眠"},
    "c360.status.inactive": {"en": "No transactions this month", "zh": "本月无交易"},
    "c360.aum": {"en": "AUM", "zh": "管理资产(AUM)"},
    "c360.aum_tier": {"en": "AUM tier", "zh": "资产层级"},
    "c360.contribution_12m": {"en": "Contribution, last 12 months", "zh": "近12个月贡献"},
    "c360.products": {"en": "Products held", "zh": "持有产品数"},
    "c360.segment": {"en": "Segment", "zh": "客群"},
    "c360.value_tier": {"en": "Value tier", "zh": "价值层级"},
    "c360.not_run": {"en": "model not run", "zh": "模型未运行"},
    "c360.as_of_run": {"en": "(scored {month})", "zh": "（{month} 评分）"},
    # balances
    "c360.balances": {"en": "Balances over time", "zh": "余额变化"},
    "c360.balances_note": {
        "en": "Month-end balances; AUM = deposits + investments.",
        "zh": "月末余额；管理资产 = 存款 + 投资。",
    },
    "c360.holdings": {"en": "Holdings by product category", "zh": "分产品类别持有余额"},
    "c360.holdings_note": {
        "en": "Month-end balances by category; for loans and cards the balance is the amount owed.",
        "zh": "按产品类别的月末余额；贷款及信用卡类为欠款余额。",
    },
    "c360.positions": {"en": "Products held in {month}", "zh": "{month} 持有产品"},
    "c360.no_positions": {"en": "No products held at month end.", "zh": "月末未持有任何产品。"},
    "c360.col.product": {"en": "Product", "zh": "产品"},
    "c360.col.category": {"en": "Category", "zh": "产品类别"},
    "c360.col.balance": {"en": "Balance", "zh": "余额"},
    "c360.col.adb": {"en": "Daily average", "zh": "日均余额"},
    "c360.col.margin": {"en": "Margin, month", "zh": "本月利差贡献"},
    # transactions
    "c360.channels": {"en": "Transactions by channel", "zh": "分渠道交易笔数"},
    "c360.channels_note": {
        "en": "Transactions per month through each channel the customer used.",
        "zh": "客户每月在各渠道的交易笔数。",
    },
    "c360.no_transactions": {"en": "No transactions in the data.", "zh": "数据期内无交易。"},
    # standing
    "c360.standing": {"en": "Segment and value tier history", "zh": "客群与价值层级变化"},
    "c360.standing_note": {
        "en": "Tier by month-end AUM each month; deciles rank the customer among all the bank's "
        "customers (1 = top 10%). Segment and value tier are those of the latest model runs.",
        "zh": "每月按月末管理资产划分资产层级；十分位为该客户在全行客户中的排名（1 = 前10%）。"
        "客群与价值层级取自最近一次模型运行。",
    },
    "c360.changes_only": {
        "en": "Listed: the latest month and each month the tier or a decile changed (from that month on).",
        "zh": "列示最近月份，以及资产层级或十分位发生变化的月份（自该月起）。",
    },
    "c360.col.month": {"en": "Month", "zh": "月份"},
    "c360.col.aum_tier": {"en": "AUM tier", "zh": "资产层级"},
    "c360.col.aum_decile": {"en": "AUM decile", "zh": "AUM十分位"},
    "c360.col.contribution_decile": {"en": "Contribution decile", "zh": "贡献十分位"},
    "c360.col.aum": {"en": "AUM", "zh": "管理资产"},
    "c360.tier_changes": {
        "en": "AUM tier changed {n} times in {months} months.",
        "zh": "{months} 个月内资产层级变化 {n} 次。",
    },
    # churn
    "c360.churn": {"en": "Churn risk", "zh": "流失风险"},
    "c360.churn_band": {"en": "Risk band", "zh": "风险等级"},
    "c360.churn_score": {"en": "Churn score", "zh": "流失评分"},
    "c360.value_at_risk": {"en": "Value at risk (per month)", "zh": "风险价值（每月）"},
    "c360.churn_driver": {"en": "Main driver", "zh": "主要驱动因素"},
    "c360.activation": {"en": "Dormant: activation value (per month)", "zh": "睡眠客户激活价值（每月）"},
    "c360.churn_not_run": {
        "en": "The churn model has not run on this data.",
        "zh": "流失模型尚未在当前数据上运行。",
    },
    "c360.not_scored": {
        "en": "This customer was not scored by the run (not open in its month).",
        "zh": "该客户未被本次模型评分（评分月份不在存续期）。",
    },
    "c360.run_month": {"en": "Model scores as of {month}", "zh": "模型评分月份 {month}"},
    # offers
    "c360.offers": {"en": "Best next offers", "zh": "最佳推荐产品"},
    "c360.offers_not_run": {
        "en": "The cross-sell model has not run on this data.",
        "zh": "交叉销售模型尚未在当前数据上运行。",
    },
    "c360.no_offer": {
        "en": "No offer: the customer holds every product the model values, or was not scored.",
        "zh": "暂无推荐：客户已持有模型评估的全部产品，或未被评分。",
    },
    "c360.best_offer": {"en": "Best offer", "zh": "首选推荐"},
    "c360.offer_score": {"en": "Propensity score", "zh": "倾向评分"},
    "c360.offer_value": {"en": "Expected contribution (per month)", "zh": "期望贡献（每月）"},
    "c360.propensity_band": {"en": "Propensity band", "zh": "倾向等级"},
    "c360.reasons": {"en": "Why", "zh": "推荐理由"},
    "c360.reason_band": {
        "en": "Propensity band {band}: among the customers most likely to take it.",
        "zh": "倾向等级{band}：属于最可能购买该产品的客户。",
    },
    "c360.reason_band_low": {
        "en": "Propensity band {band}: the best of the products not yet held, though not a strong one.",
        "zh": "倾向等级{band}：在未持有产品中最优，但倾向不强。",
    },
    "c360.reason_value": {
        "en": "Highest expected contribution among products not held: {value} a month.",
        "zh": "在未持有产品中期望贡献最高：每月 {value}。",
    },
    "c360.reason_segment": {"en": "Segment: {segment}.", "zh": "所属客群：{segment}。"},
    "c360.reason_rule": {
        "en": "Holders of {antecedent} also take it ({confidence} of them, {lift}× the base rate).",
        "zh": "持有{antecedent}的客户中有 {confidence} 也持有该产品（为平均水平的 {lift} 倍）。",
    },
    "c360.other_offers": {"en": "Also worth offering", "zh": "其他可推荐产品"},
    "c360.other_offer": {
        "en": "holders of {antecedent} take it ({confidence}, {lift}× the base rate).",
        "zh": "持有{antecedent}的客户中 {confidence} 持有该产品（为平均水平的 {lift} 倍）。",
    },
    "c360.vs_previous": {"en": "{change} vs the month before", "zh": "较上月 {change}"},
    "c360.col.because": {"en": "Because the customer holds", "zh": "因客户持有"},
    "c360.col.confidence": {"en": "Confidence", "zh": "置信度"},
    "c360.col.lift": {"en": "Lift", "zh": "提升度"},
    # campaigns
    "c360.campaigns": {"en": "Campaign and contact history", "zh": "营销活动与接触记录"},
    "c360.campaigns_note": {
        "en": "From the warehouse's campaign records.",
        "zh": "来自数据仓库的营销活动记录。",
    },
    "c360.no_campaigns": {
        "en": "No campaign has targeted this customer.",
        "zh": "该客户未被任何营销活动覆盖。",
    },
    "c360.campaign_summary": {
        "en": "Campaigns: {targeted} · reached: {contacted} · offers taken up: {responded} ({amount}).",
        "zh": "营销活动 {targeted} 次 · 接触成功 {contacted} 次 · 响应 {responded} 次（{amount}）。",
    },
    "c360.col.campaign": {"en": "Campaign", "zh": "营销活动"},
    "c360.col.start_month": {"en": "Started", "zh": "开始月份"},
    "c360.col.channel": {"en": "Channel", "zh": "渠道"},
    "c360.col.offered": {"en": "Product offered", "zh": "推荐产品"},
    "c360.col.contacted_date": {"en": "Contacted on", "zh": "接触日期"},
    "c360.col.contacted": {"en": "Reached", "zh": "已接触"},
    "c360.col.responded": {"en": "Took it up", "zh": "已响应"},
    "c360.col.response_amount": {"en": "Amount taken", "zh": "响应金额"},
    "c360.yes": {"en": "Yes", "zh": "是"},
    "c360.no": {"en": "No", "zh": "否"},
    # notes
    "c360.notes": {"en": "Relationship manager's notes", "zh": "客户经理备注"},
    "c360.notes_empty": {
        "en": "Notes are recorded with contacts once campaigns run in this product.",
        "zh": "在本系统中开展营销活动后，备注将随接触记录一并保存。",
    },
    "c360.run_it": {"en": "Run it on the Model runs page", "zh": "在模型运行页面运行"},
    "c360.ask_analyst": {
        "en": "A head-office analyst can run it on the Model runs page.",
        "zh": "可请总行分析师在模型运行页面运行。",
    },
}
