"""Texts of the cross-sell pages, en and zh (merged into the one catalog by components.i18n)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "cross_sell.title": {"en": "Cross-sell, churn and response", "zh": "交叉销售、流失与响应"},
    "cross_sell.version": {
        "en": "Data version {version}. Every figure comes from the model runs named below.",
        "zh": "数据版本 {version}。所有数字均来自下列模型运行。",
    },
    "cross_sell.run_line": {
        "en": "{model}: run {run_id}, month {month}, finished {date}",
        "zh": "{model}：运行 {run_id}，数据月份 {month}，完成于 {date}",
    },
    "cross_sell.model.crosssell": {"en": "Cross-sell", "zh": "交叉销售"},
    "cross_sell.model.churn": {"en": "Churn and dormancy", "zh": "流失与睡眠"},
    "cross_sell.model.response": {"en": "Campaign response", "zh": "营销响应"},
    "cross_sell.no_run": {
        "en": "No {model} run on the current data (version {version}) yet. An analyst or admin can "
        "start one on the Model runs page.",
        "zh": "当前数据（版本 {version}）尚无{model}模型运行。分析师或管理员可在“模型运行”页面启动。",
    },
    "cross_sell.start_run": {"en": "Open Model runs", "zh": "打开模型运行"},
    "cross_sell.no_version": {
        "en": "No warehouse is being served, so there is nothing to show.",
        "zh": "当前未提供数据仓库，无可显示内容。",
    },
    "cross_sell.tab.rules": {"en": "Association rules", "zh": "关联规则"},
    "cross_sell.tab.propensity": {"en": "Propensity by product", "zh": "产品购买倾向"},
    "cross_sell.tab.offers": {"en": "Best next offers", "zh": "最佳推荐"},
    "cross_sell.tab.churn": {"en": "Churn", "zh": "流失预警"},
    "cross_sell.tab.dormancy": {"en": "Dormant customers", "zh": "睡眠客户"},
    "cross_sell.tab.response": {"en": "Campaign response", "zh": "营销响应"},
    # rules
    "cross_sell.rules": {"en": "Association rules among products held", "zh": "持有产品间的关联规则"},
    "cross_sell.rules_note": {
        "en": "A rule A → B: support = share of customers holding A and B; confidence = share of A's "
        "holders who hold B; lift = confidence / share holding B (above 1: B is more common among A's "
        "holders); leverage = support − support(A) × support(B); conviction = (1 − support(B)) / "
        "(1 − confidence), ∞ when every holder of A holds B. "
        "A longer rule is hidden, unless you switch that off, when its confidence is less than one point "
        "above a shorter rule's for the same B (adding a product almost everyone holds adds nothing).",
        "zh": "规则 A → B：支持度 = 同时持有A和B的客户占比；置信度 = A的持有客户中持有B的占比；提升度 = "
        "置信度 / 持有B的客户占比（大于1表示A的持有客户更常持有B）；杠杆率 = 支持度 − 支持度(A) × "
        "支持度(B)；确信度 = (1 − 支持度(B)) / (1 − 置信度)，A的持有客户全部持有B时为∞。"
        "若较长规则的置信度比同一B的较短规则高不到一个百分点（加入几乎人人持有的产品并无新信息），"
        "默认隐藏该规则，可关闭此选项。",
    },
    "cross_sell.min_support": {"en": "Min support", "zh": "最小支持度"},
    "cross_sell.min_confidence": {"en": "Min confidence", "zh": "最小置信度"},
    "cross_sell.min_lift": {"en": "Min lift", "zh": "最小提升度"},
    "cross_sell.product": {"en": "Product", "zh": "产品"},
    "cross_sell.all_products": {"en": "All products", "zh": "全部产品"},
    "cross_sell.improving_only": {
        "en": "Hide rules a shorter one explains",
        "zh": "隐藏可由更短规则解释的规则",
    },
    "cross_sell.rules_count": {
        "en": "{shown} of {total} rules",
        "zh": "共 {total} 条规则，显示 {shown} 条",
    },
    "cross_sell.rules_none": {
        "en": "No rule passes these thresholds. Lower them, or choose another product.",
        "zh": "没有满足这些阈值的规则。请降低阈值或选择其他产品。",
    },
    "cross_sell.antecedent": {"en": "If the customer holds", "zh": "若客户持有"},
    "cross_sell.consequent": {"en": "they also hold", "zh": "则也持有"},
    "cross_sell.support": {"en": "Support", "zh": "支持度"},
    "cross_sell.confidence": {"en": "Confidence", "zh": "置信度"},
    "cross_sell.lift": {"en": "Lift", "zh": "提升度"},
    "cross_sell.leverage": {"en": "Leverage", "zh": "杠杆率"},
    "cross_sell.conviction": {"en": "Conviction", "zh": "确信度"},
    "cross_sell.graph": {"en": "Product association graph", "zh": "产品关联网络图"},
    "cross_sell.graph_note": {
        "en": "Nodes are sized by support, edges are drawn wider the higher the lift (the strongest pair "
        "rules). Click a product to see its rules.",
        "zh": "节点大小表示支持度，连线越粗提升度越高（最强的两两规则）。点击产品查看其规则。",
    },
    "cross_sell.graph_empty": {
        "en": "No pair of products passes the run's thresholds.",
        "zh": "没有产品组合达到本次运行的阈值。",
    },
    # propensity
    "cross_sell.propensity": {"en": "Propensity model of a product", "zh": "单一产品的倾向模型"},
    "cross_sell.propensity_note": {
        "en": "Each product's model learns who holds it; the figures are on a holdout the model never saw. "
        "Cumulative gain: share of the holders found when contacting the top x% by score. Lift: how many "
        "times the overall rate a score decile holds. Calibration: per decile, the mean predicted "
        "probability beside the observed rate. Drivers: drop in holdout AUC when a feature is shuffled "
        "(permutation importance, on a sample of the holdout).",
        "zh": "每个产品的模型学习哪些客户持有该产品；以下数字均基于模型未见过的留出样本。累计增益：按评分"
        "联系前x%客户时找到的持有客户占比。提升度：每个评分十分位的比率是整体比率的几倍。校准：每个十分位"
        "的平均预测概率与实际比率。驱动因素：打乱某特征后留出样本AUC的下降（置换重要性，基于留出样本的抽样）。",
    },
    "cross_sell.products_table": {"en": "All modelled products", "zh": "全部已建模产品"},
    "cross_sell.holders": {"en": "Holders", "zh": "持有客户数"},
    "cross_sell.auc": {"en": "AUC", "zh": "AUC"},
    "cross_sell.alift": {"en": "ALIFT", "zh": "ALIFT"},
    "cross_sell.lift_10": {"en": "Top-decile lift", "zh": "前10%提升度"},
    "cross_sell.base_rate": {"en": "Base rate", "zh": "基准比率"},
    "cross_sell.holdout_rows": {"en": "Holdout rows", "zh": "留出样本数"},
    "cross_sell.gain": {"en": "Cumulative gain", "zh": "累计增益"},
    "cross_sell.lift_chart": {"en": "Lift by score decile", "zh": "各评分十分位的提升度"},
    "cross_sell.calibration": {"en": "Calibration", "zh": "校准"},
    "cross_sell.drivers": {"en": "Drivers", "zh": "驱动因素"},
    "cross_sell.model": {"en": "Model", "zh": "模型"},
    "cross_sell.random": {"en": "Random", "zh": "随机"},
    "cross_sell.perfect": {"en": "Perfectly calibrated", "zh": "完美校准"},
    "cross_sell.contacted": {"en": "Customers contacted (by score)", "zh": "联系客户占比（按评分）"},
    "cross_sell.found": {"en": "Positives found", "zh": "找到的正例占比"},
    "cross_sell.decile": {"en": "Score decile (1 = highest)", "zh": "评分十分位（1 = 最高）"},
    "cross_sell.predicted": {"en": "Mean predicted probability", "zh": "平均预测概率"},
    "cross_sell.observed": {"en": "Observed rate", "zh": "实际比率"},
    "cross_sell.importance": {"en": "Drop in AUC when shuffled", "zh": "打乱后AUC下降"},
    "cross_sell.gain_hover": {"en": "Top {x}: {y} found", "zh": "前{x}：找到{y}"},
    "cross_sell.lift_hover": {
        "en": "Decile {decile}: lift {lift}, rate {rate}",
        "zh": "第{decile}十分位：提升度 {lift}，比率 {rate}",
    },
    "cross_sell.calibration_hover": {
        "en": "Decile {decile}: predicted {predicted}, observed {observed}",
        "zh": "第{decile}十分位：预测 {predicted}，实际 {observed}",
    },
    "cross_sell.no_quality": {
        "en": "This model has no holdout figures (too few positives in the holdout).",
        "zh": "该模型没有留出样本评估结果（留出样本中正例过少）。",
    },
    # offers
    "cross_sell.offers": {"en": "Best next offer per customer", "zh": "每位客户的最佳推荐产品"},
    "cross_sell.offers_note": {
        "en": "For each customer, the product not yet held with the highest expected value = propensity "
        "score × the product's mean monthly contribution among its holders (margin + fees in the run's "
        "month). Band of the offer's score: high = top 10% of customers, medium = next 20%, low = the rest. "
        "The offer and the band are customer dimensions of the cube: every view can be sliced by them.",
        "zh": "对每位客户，在其尚未持有的产品中选出期望价值最高者：期望价值 = 倾向评分 × 该产品持有客户的"
        "月均贡献（运行月份的利差加手续费）。评分等级：高 = 前10%客户，中 = 其后20%，低 = 其余。推荐产品与"
        "等级已作为客户维度发布到多维模型，所有视图均可按其切片。",
    },
    "cross_sell.offer_counts": {"en": "Customers by best offer and band", "zh": "按推荐产品与等级的客户数"},
    "cross_sell.customers": {"en": "Customers", "zh": "客户数"},
    "cross_sell.band": {"en": "Band", "zh": "等级"},
    "cross_sell.all_bands": {"en": "All bands", "zh": "全部等级"},
    "cross_sell.band.high": {"en": "High", "zh": "高"},
    "cross_sell.band.medium": {"en": "Medium", "zh": "中"},
    "cross_sell.band.low": {"en": "Low", "zh": "低"},
    "cross_sell.not_scored": {"en": "Not scored", "zh": "未评分"},
    "cross_sell.list_total": {
        "en": "Customers {first}–{last} of {total}, highest value first",
        "zh": "第 {first}–{last} 位，共 {total} 位客户，按价值从高到低",
    },
    "cross_sell.list_empty": {
        "en": "No customer in your scope matches this selection.",
        "zh": "您的权限范围内没有符合条件的客户。",
    },
    "cross_sell.no_rows_role": {
        "en": "Your role sees the figures but no customer lists.",
        "zh": "您的角色可查看统计数字，但不能查看客户名单。",
    },
    "cross_sell.masked": {
        "en": "Names, phones and ID numbers are masked for your role.",
        "zh": "您的角色下客户姓名、电话和证件号已脱敏。",
    },
    "cross_sell.previous": {"en": "Previous", "zh": "上一页"},
    "cross_sell.next": {"en": "Next", "zh": "下一页"},
    "cross_sell.export_csv": {"en": "Export CSV", "zh": "导出CSV"},
    "cross_sell.export_xlsx": {"en": "Export Excel", "zh": "导出Excel"},
    "cross_sell.list_failed": {
        "en": "The list could not be loaded: {error}",
        "zh": "名单加载失败：{error}",
    },
    # churn and dormancy
    "cross_sell.churn": {"en": "Churn warning", "zh": "流失预警"},
    "cross_sell.churn_note": {
        "en": "The model scores how likely a customer closes the relationship within {horizon} months. "
        "Time-based holdout: trained on earlier months, tested on {test_month} (its outcomes are known). "
        "Value at risk = churn score × the customer's average monthly contribution; the driver is the "
        "feature whose typical value would lower that customer's score most.",
        "zh": "模型评估客户在{horizon}个月内关闭关系的可能性。按时间留出：用更早的月份训练，在{test_month}"
        "上检验（其结果已知）。风险价值 = 流失评分 × 客户月均贡献；"
        "驱动因素为若取典型值最能降低该客户评分的特征。",
    },
    "cross_sell.churn_counts": {"en": "Customers by churn risk band", "zh": "按流失风险等级的客户数"},
    "cross_sell.churn_list": {
        "en": "Customers most likely to leave, by value at risk",
        "zh": "最可能流失的客户（按风险价值排序）",
    },
    "cross_sell.dormancy": {"en": "Dormant customers to reactivate", "zh": "待激活的睡眠客户"},
    "cross_sell.dormancy_note": {
        "en": "A reactivation model learns from customers dormant {horizon} months ago which ones came back "
        "(figures on a held-out quarter of them). Activation value = reactivation score × past monthly "
        "contribution; bands rank the dormant customers only.",
        "zh": "激活模型从{horizon}个月前的睡眠客户中学习哪些客户重新活跃（评估基于其中留出的四分之一）。"
        "激活价值 = 激活评分 × 以往月均贡献；等级仅在睡眠客户中排序。",
    },
    "cross_sell.dormant_counts": {
        "en": "Dormant customers by activation band",
        "zh": "按激活等级的睡眠客户数",
    },
    "cross_sell.dormant_list": {
        "en": "Dormant customers ranked by activation value",
        "zh": "按激活价值排序的睡眠客户",
    },
    "cross_sell.not_dormant": {"en": "Not dormant", "zh": "非睡眠"},
    "cross_sell.no_dormancy": {
        "en": "Too few dormant customers in the data to train a reactivation model; they are ranked by "
        "past value alone.",
        "zh": "数据中的睡眠客户太少，无法训练激活模型；仅按以往价值排序。",
    },
    # response
    "cross_sell.response": {"en": "Campaign response model", "zh": "营销响应模型"},
    "cross_sell.response_note": {
        "en": "Learned from past campaign contacts (who responded); holdout: the latest 20% of contacts in "
        "time. Scored for a new {category} campaign through {channel}.",
        "zh": "基于以往营销活动的接触记录（谁作出了响应）学习；留出样本为时间上最近的20%接触。"
        "按新的{category}活动（渠道：{channel}）评分。",
    },
    "cross_sell.response_needs": {
        "en": "The response model needs past campaigns with contacts and responses in the data.",
        "zh": "营销响应模型需要数据中包含以往营销活动及其接触与响应记录。",
    },
    # features (drivers)
    "cross_sell.holds": {"en": "Holds {product}", "zh": "持有{product}"},
    "cross_sell.feature.aum": {"en": "AUM", "zh": "管理资产"},
    "cross_sell.feature.aum_now": {"en": "AUM this month", "zh": "本月管理资产"},
    "cross_sell.feature.aum_ratio": {"en": "AUM trend (last 3 vs 3 before)", "zh": "资产趋势（近3月/前3月）"},
    "cross_sell.feature.log_aum": {"en": "AUM (log)", "zh": "管理资产(对数)"},
    "cross_sell.feature.log_aum_recent": {"en": "AUM, last 3 months (log)", "zh": "近3月资产(对数)"},
    "cross_sell.feature.log_aum_before": {"en": "AUM, 3 months before (log)", "zh": "前3月资产(对数)"},
    "cross_sell.feature.txn_recent": {"en": "Transactions, last 3 months", "zh": "近3月交易笔数"},
    "cross_sell.feature.txn_before": {"en": "Transactions, 3 months before", "zh": "前3月交易笔数"},
    "cross_sell.feature.txn_ratio": {"en": "Activity trend", "zh": "活跃度趋势"},
    "cross_sell.feature.txn_count": {"en": "Transactions per month", "zh": "月均交易笔数"},
    "cross_sell.feature.inactive_months": {"en": "Months without transactions", "zh": "无交易月数"},
    "cross_sell.feature.is_dormant": {"en": "Dormant", "zh": "睡眠"},
    "cross_sell.feature.product_count": {"en": "Products held", "zh": "持有产品数"},
    "cross_sell.feature.products_dropped": {"en": "Products dropped", "zh": "减少的产品数"},
    "cross_sell.feature.log_loan_balance": {"en": "Loan balance (log)", "zh": "贷款余额(对数)"},
    "cross_sell.feature.loan_balance": {"en": "Loan balance", "zh": "贷款余额"},
    "cross_sell.feature.digital_share": {"en": "Digital share of transactions", "zh": "电子渠道交易占比"},
    "cross_sell.feature.contribution": {"en": "Monthly contribution", "zh": "月均贡献"},
    "cross_sell.feature.tenure_months": {"en": "Tenure (months)", "zh": "客龄(月)"},
    "cross_sell.feature.age": {"en": "Age", "zh": "年龄"},
    "cross_sell.feature.income_band": {"en": "Income band", "zh": "收入段"},
    "cross_sell.feature.occupation": {"en": "Occupation", "zh": "职业"},
    "cross_sell.feature.gender": {"en": "Gender", "zh": "性别"},
    "cross_sell.feature.branch_id": {"en": "Branch", "zh": "网点"},
    "cross_sell.feature.log_txn_count": {"en": "Transactions (log)", "zh": "交易笔数(对数)"},
    "cross_sell.feature.log_txn_amount": {"en": "Transaction amount (log)", "zh": "交易金额(对数)"},
    "cross_sell.feature.active_share": {"en": "Share of months active", "zh": "活跃月份占比"},
    "cross_sell.feature.investment_share": {"en": "Investment share of AUM", "zh": "投资占资产比"},
    "cross_sell.feature.held_product": {"en": "Already holds the product", "zh": "已持有该产品"},
    "cross_sell.feature.product_category": {"en": "Campaign product category", "zh": "活动产品类别"},
    "cross_sell.feature.channel_code": {"en": "Campaign channel", "zh": "活动渠道"},
    "cross_sell.feature.share": {"en": "Share of transactions: {channel}", "zh": "交易占比：{channel}"},
}
