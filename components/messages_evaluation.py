"""Texts of a campaign's evaluation section (pages/_campaign_eval.py), en and zh (merged into
the one catalog by components.i18n)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "evaluation.title": {"en": "Evaluation", "zh": "效果评估"},
    "evaluation.note": {
        "en": "Contact rate = customers reached / targets; success rate = customers who accepted / "
        "customers reached; cost = contacts × cost per contact; revenue = amount × the product's "
        "margin and fee rates; ROI = (revenue − cost) / cost. Uplift = response rate of the target "
        "group − of the control group (a response: an accepted offer or a take-up of an offered "
        "product in the campaign window), with a 95% Wald interval and a two-proportion z-test.",
        "zh": "接触率 = 已接触客户数 / 目标客户数；成功率 = 接受客户数 / 已接触客户数；成本 = 接触次数 × "
        "单次接触成本；收入 = 金额 × 产品的利差率与费率；ROI = (收入 − 成本) / 成本。提升度 = 目标组响应率 "
        "− 对照组响应率（响应：活动期内接受推荐或购买了推荐产品），附95% Wald置信区间与两比例z检验。",
    },
    "evaluation.refused": {
        "en": "Your role does not read campaign evaluations.",
        "zh": "您的角色无权查看活动效果评估。",
    },
    "evaluation.scope_note": {
        "en": "Figures of the members in your scope only.",
        "zh": "仅统计您权限范围内的客户。",
    },
    "evaluation.kpi.targets": {"en": "Targets", "zh": "目标客户"},
    "evaluation.kpi.contact_rate": {"en": "Contact rate", "zh": "接触率"},
    "evaluation.kpi.success_rate": {"en": "Success rate", "zh": "成功率"},
    "evaluation.kpi.amount": {"en": "Amount taken", "zh": "成交金额"},
    "evaluation.kpi.cost": {"en": "Cost", "zh": "成本"},
    "evaluation.kpi.revenue": {"en": "Revenue", "zh": "收入"},
    "evaluation.kpi.roi": {"en": "ROI", "zh": "投资回报率"},
    "evaluation.kpi.uplift": {"en": "Uplift vs control", "zh": "相对对照组提升"},
    "evaluation.kpi.interval": {"en": "95% interval", "zh": "95%置信区间"},
    "evaluation.kpi.p_value": {"en": "p-value", "zh": "p值"},
    "evaluation.kpi.arms": {
        "en": "Target {x1}/{n1} responded, control {x2}/{n2}",
        "zh": "目标组 {x1}/{n1} 响应，对照组 {x2}/{n2}",
    },
    "evaluation.too_few": {"en": "too few to test", "zh": "样本太少，无法检验"},
    "evaluation.verdict.significant_up": {
        "en": "The campaign raised the response rate: the difference is significant at the 5% level.",
        "zh": "活动提高了响应率：差异在5%水平上显著。",
    },
    "evaluation.verdict.significant_down": {
        "en": "The target group responded less than the control group, significantly at the 5% level.",
        "zh": "目标组响应率显著低于对照组（5%水平）。",
    },
    "evaluation.verdict.not_significant": {
        "en": "No significant difference from the control group at the 5% level: the uplift may be chance.",
        "zh": "与对照组相比差异不显著（5%水平），提升可能出于偶然。",
    },
    "evaluation.verdict.too_few": {
        "en": "Too few members (or responses) in the target or control group to test the difference.",
        "zh": "目标组或对照组客户（或响应）太少，无法检验差异。",
    },
    "evaluation.unpriced": {
        "en": "Products the warehouse has no rates for (their revenue counts 0): {products}",
        "zh": "数据仓库中无费率的产品（其收入按0计）：{products}",
    },
    "evaluation.by_branch": {"en": "By branch", "zh": "按网点"},
    "evaluation.by_manager": {"en": "By relationship manager", "zh": "按客户经理"},
    "evaluation.by_channel": {"en": "By channel of the contact", "zh": "按接触渠道"},
    "evaluation.by_segment": {"en": "By segment", "zh": "按客户细分"},
    "evaluation.channel_note": {
        "en": "A channel's targets are all targets: its contact rate is the share of all targets "
        "reached through it.",
        "zh": "各渠道的目标客户为全部目标客户：渠道接触率为经该渠道接触到的客户占全部目标客户的比例。",
    },
    "evaluation.uplift_chart": {
        "en": "Uplift by segment (95% interval)",
        "zh": "各细分的提升度（95%置信区间）",
    },
    "evaluation.uplift_axis": {"en": "Uplift", "zh": "提升度"},
    "evaluation.uplift_table": {"en": "Uplift by segment", "zh": "各细分的提升度"},
    "evaluation.no_segments": {
        "en": "No segment has enough members in both groups to draw.",
        "zh": "没有细分在两组中都有足够客户可绘制。",
    },
    "evaluation.pool": {"en": "Branch pool", "zh": "网点公共池"},
    "evaluation.none": {"en": "(none)", "zh": "（无）"},
    "evaluation.col.key.branch": {"en": "Branch", "zh": "网点"},
    "evaluation.col.key.manager": {"en": "Relationship manager", "zh": "客户经理"},
    "evaluation.col.key.channel": {"en": "Channel", "zh": "渠道"},
    "evaluation.col.key.segment": {"en": "Segment", "zh": "细分"},
    "evaluation.col.targets": {"en": "Targets", "zh": "目标客户"},
    "evaluation.col.contacts": {"en": "Contacts", "zh": "接触次数"},
    "evaluation.col.contacted": {"en": "Contacted", "zh": "已联系客户"},
    "evaluation.col.reached": {"en": "Reached", "zh": "已接触客户"},
    "evaluation.col.accepted": {"en": "Accepted", "zh": "接受客户"},
    "evaluation.col.amount": {"en": "Amount", "zh": "金额"},
    "evaluation.col.cost": {"en": "Cost", "zh": "成本"},
    "evaluation.col.revenue": {"en": "Revenue", "zh": "收入"},
    "evaluation.col.contact_rate": {"en": "Contact rate", "zh": "接触率"},
    "evaluation.col.success_rate": {"en": "Success rate", "zh": "成功率"},
    "evaluation.col.roi": {"en": "ROI", "zh": "投资回报率"},
    "evaluation.col.segment": {"en": "Segment", "zh": "细分"},
    "evaluation.col.target_n": {"en": "Target members", "zh": "目标组客户"},
    "evaluation.col.target_rate": {"en": "Target response rate", "zh": "目标组响应率"},
    "evaluation.col.control_n": {"en": "Control members", "zh": "对照组客户"},
    "evaluation.col.control_rate": {"en": "Control response rate", "zh": "对照组响应率"},
    "evaluation.col.uplift": {"en": "Uplift", "zh": "提升度"},
    "evaluation.col.low": {"en": "Interval low", "zh": "区间下限"},
    "evaluation.col.high": {"en": "Interval high", "zh": "区间上限"},
    "evaluation.col.p_value": {"en": "p-value", "zh": "p值"},
    "evaluation.retrain": {"en": "Retrain the response model", "zh": "重新训练响应模型"},
    "evaluation.retrain_help": {
        "en": "Learn from this campaign's outcomes and compare with the current model on a holdout "
        "of its members.",
        "zh": "基于本活动的结果重新训练，并在本活动客户的留出样本上与当前模型比较。",
    },
    "evaluation.retrain_result": {
        "en": "Holdout of {rows} customers: AUC {auc_new} (retrained) vs {auc_old} (previous); lift in the "
        "top 10% {lift_new} vs {lift_old}. The next campaign's targeting uses the {chosen} model.",
        "zh": "留出样本 {rows} 位客户：AUC {auc_new}（新模型）对 {auc_old}（原模型）；前10%提升度 "
        "{lift_new} 对 {lift_old}。下一次活动的目标选择将使用{chosen}模型。",
    },
    "evaluation.chosen.retrained": {"en": "retrained", "zh": "新训练的"},
    "evaluation.chosen.previous": {"en": "previous", "zh": "原有的"},
    "evaluation.retrain_failed": {"en": "Not retrained: {reason}", "zh": "未能重新训练：{reason}"},
    "evaluation.export": {"en": "Export for the next load", "zh": "导出供下次加载"},
    "evaluation.export_help": {
        "en": "The loop's closed and running campaigns as campaigns.csv and campaign_contacts.csv "
        "(docs/marketing_export.md).",
        "zh": "将闭环中已结束和进行中的活动导出为 campaigns.csv 与 campaign_contacts.csv"
        "（见 docs/marketing_export.md）。",
    },
    "evaluation.export_failed": {"en": "Not exported: {reason}", "zh": "导出失败：{reason}"},
}
