"""Texts of the Products view, en and zh (merged into the one catalog by components.i18n)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "products.title": {"en": "Products", "zh": "产品分析"},
    "products.subtitle": {
        "en": "Month-end holdings in {period}; penetration = holders / customers in the same month, "
        "scope and filters.",
        "zh": "{period}月末持有情况；渗透率 = 持有客户数 / 同月、同范围、同筛选条件下的客户数。",
    },
    "products.all_categories": {"en": "All categories", "zh": "全部类别"},
    "products.by_category": {"en": "By product category", "zh": "按产品类别"},
    "products.by_product": {"en": "Products of {category}", "zh": "{category}下的产品"},
    "products.menu_hint": {
        "en": "Click a bar or a row: drill down to the products, break down, show the rows behind it "
        "or cross-filter.",
        "zh": "点击柱形或表格行：下钻到产品、按其他维度拆分、查看明细或联动筛选。",
    },
    "products.penetration": {"en": "Penetration", "zh": "渗透率"},
    "products.holders_axis": {"en": "Holders", "zh": "持有客户数"},
    "products.contribution_note": {
        "en": "Contribution = margin (average daily balance × margin rate / 12) + fees of the product's "
        "transactions in the month; fees are booked at the transaction's branch.",
        "zh": "贡献 = 利差贡献（日均余额 × 利差率 / 12）+ 当月该产品交易的手续费；手续费按交易网点归属。",
    },
    "products.fees_hidden": {
        "en": "Fees and contribution are not shown: transactions cannot be filtered by {names}.",
        "zh": "未显示手续费和贡献：交易数据无法按{names}筛选。",
    },
    "products.trend": {"en": "13-month trend", "zh": "近13个月趋势"},
    "products.trend_penetration": {"en": "Penetration by month", "zh": "各月渗透率"},
    "products.trend_balance": {"en": "Balance by month", "zh": "各月余额"},
    "products.profile": {"en": "Who holds it", "zh": "持有客户画像"},
    "products.profile_for": {"en": "Holders of {item}", "zh": "{item}的持有客户"},
    "products.profile_item": {"en": "Product or category", "zh": "产品或类别"},
    "products.profile_attribute": {"en": "Customer attribute", "zh": "客户属性"},
    "products.profile_note": {
        "en": "Index = share among the holders / share among all customers × 100 (the same month, scope "
        "and filters); above 100 the group is over-represented among the holders.",
        "zh": "指数 = 持有客户中的占比 / 全部客户中的占比 × 100（同月、同范围、同筛选条件）；"
        "高于100表示该群体在持有客户中占比偏高。",
    },
    "products.index": {"en": "Index", "zh": "指数"},
    "products.holder_share": {"en": "Share of holders", "zh": "持有客户占比"},
    "products.customer_share": {"en": "Share of customers", "zh": "全部客户占比"},
    "products.value": {"en": "Value", "zh": "取值"},
    "products.attribute": {"en": "Attribute", "zh": "属性"},
    "products.highlights": {"en": "Most over-represented: {items}", "zh": "占比偏高最明显：{items}"},
    "products.highlights_under": {"en": "Most under-represented: {items}", "zh": "占比偏低最明显：{items}"},
    "products.min_base": {
        "en": "Groups with fewer than {n} holders are left out of the highlights.",
        "zh": "持有客户少于{n}人的群体不列入要点。",
    },
    "products.cross_sell": {
        "en": "Association rules and propensity list for {item} →",
        "zh": "{item}的关联规则与购买倾向名单 →",
    },
    "products.pairs": {"en": "Cross-holding", "zh": "交叉持有"},
    "products.pairs_note": {
        "en": "Each cell: the share of the row product's holders who also hold the column product "
        "(month end). The diagonal (a product with itself) is left blank.",
        "zh": "每个单元格：行产品的持有客户中同时持有列产品的比例（月末）。对角线（产品与自身）留空。",
    },
    "products.pairs_hover": {
        "en": "{a} → {b}<br>{share} ({both} of {holders} holders)",
        "zh": "{a} → {b}<br>{share}（{holders}位持有客户中有{both}位）",
    },
    "products.also_holds": {"en": "Also holds", "zh": "同时持有"},
    "products.channels": {"en": "Channel use", "zh": "渠道使用"},
    "products.channels_note": {
        "en": "Each cell: the share of the row's transactions in the month made through the channel type "
        "(transactions booked at the branch in scope).",
        "zh": "每个单元格：当月该行交易中通过该渠道类型完成的比例（按交易网点统计）。",
    },
    "products.channels_hover": {
        "en": "{item} · {channel}<br>{share} of transactions ({count}, {amount})",
        "zh": "{item} · {channel}<br>占交易笔数{share}（{count}笔，{amount}）",
    },
    "products.empty": {"en": "No holdings in this selection.", "zh": "当前选择下没有持有数据。"},
    "products.no_rows_role": {
        "en": "Your role sees the aggregates only: customer lists are not shown.",
        "zh": "您的角色仅可查看汇总数据，不显示客户名单。",
    },
}
