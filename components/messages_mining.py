"""Texts of the mining pages, en and zh (merged into the one catalog by components.i18n).

``models.refused.<key>`` translates a :class:`mining.errors.RunRefused` of that key (its
parameters fill the placeholders); ``models.kind.<kind>`` and ``models.word.<word>`` translate
the codes a refusal names.
"""

from __future__ import annotations

_REFUSED: dict[str, tuple[str, str]] = {
    "params.k": (
        "The number of segments must be automatic or a whole number from {low} to {high}.",
        "细分数须为“自动”或 {low} 至 {high} 之间的整数。",
    ),
    "params.factors": (
        "The number of factors must be a whole number from {low} to {high}.",
        "因子数须为 {low} 至 {high} 之间的整数。",
    ),
    "params.gap": (
        "The potential gap must be a number from {low} to {high} score points.",
        "潜力差距须为 {low} 至 {high} 分之间的数值。",
    ),
    "params.support": (
        "The minimum support must be a share from {low} to {high} (for example 0.01 = 1% of customers).",
        "最小支持度须为 {low} 至 {high} 之间的比例（例如 0.01 即 1% 的客户）。",
    ),
    "params.confidence": (
        "The minimum confidence must be a share from {low} to {high}.",
        "最小置信度须为 {low} 至 {high} 之间的比例。",
    ),
    "params.products": ("Choose the products to model from the list.", "请从列表中选择要建模的产品。"),
    "params.products_empty": ("Choose at least one product to model.", "请至少选择一个要建模的产品。"),
    "params.horizon": (
        "The horizon must be a whole number of months from {low} to {high}.",
        "预测期须为 {low} 至 {high} 之间的整数月。",
    ),
    "params.category": (
        "Unknown product category {value}: choose one from the list.",
        "未知的产品类别 {value}，请从列表中选择。",
    ),
    "params.channel": (
        "Unknown channel {value}: choose one from the list.",
        "未知的渠道 {value}，请从列表中选择。",
    ),
    "params.seed": (
        "The random seed must be a whole number from {low} to {high}.",
        "随机种子须为 {low} 至 {high} 之间的整数。",
    ),
    "data.empty": (
        "The warehouse holds no months of data yet: load the bank's data first.",
        "数据仓库中尚无任何月份的数据，请先加载数据。",
    ),
    "data.no_month": ("There are no data for {month}.", "{month} 没有数据。"),
    "data.too_few_rows": (
        "Only {count} {what} in the data; a model needs at least {minimum}.",
        "数据中只有 {count} 个{what}，模型至少需要 {minimum} 个。",
    ),
    "segmentation.fewer_than_k": (
        "Only {customers} customers in {month}: fewer than the {k} segments asked for. "
        "Choose fewer segments.",
        "{month} 只有 {customers} 位客户，少于所要求的 {k} 个细分，请减少细分数。",
    ),
    "crosssell.too_few_customers": (
        "Only {customers} customers hold products in {month}; cross-sell needs at least {minimum}.",
        "{month} 仅有 {customers} 位客户持有产品，交叉销售至少需要 {minimum} 位。",
    ),
    "crosssell.unknown_products": (
        "These products are not in the data: {products}.",
        "以下产品不在数据中：{products}。",
    ),
    "crosssell.no_product": (
        "No chosen product has at least {minimum} holders and some non-holders, so no propensity "
        "model can be trained. Choose other products.",
        "所选产品中没有持有客户不少于 {minimum} 位（且存在未持有客户）的产品，"
        "无法训练倾向模型，请选择其他产品。",
    ),
    "churn.too_few_months": (
        "Churn with a {horizon}-month horizon needs {needed} months of data; there are {months}. "
        "Choose a shorter horizon.",
        "预测期为 {horizon} 个月的流失模型需要 {needed} 个月的数据，现有 {months} 个月，请缩短预测期。",
    ),
    "churn.no_closures": (
        "No customer closed their relationship in the data, so churn cannot be trained.",
        "数据中没有客户销户，无法训练流失模型。",
    ),
    "churn.no_closures_window": (
        "No customer closed in the training months ({start} to {end}), so churn cannot be trained. "
        "Try a longer horizon.",
        "训练期（{start} 至 {end}）内没有客户销户，无法训练流失模型，请尝试更长的预测期。",
    ),
    "churn.no_closures_holdout": (
        "No customer closed in the last {horizon} months, so the churn model cannot be checked. "
        "Try a longer horizon.",
        "最近 {horizon} 个月没有客户销户，无法检验流失模型，请尝试更长的预测期。",
    ),
    "response.no_campaigns": (
        "There are no campaigns in the data, so response cannot be trained. Run a campaign first.",
        "数据中没有营销活动，无法训练响应模型，请先开展营销活动。",
    ),
    "response.no_contacts": (
        "The {campaigns} campaigns have no recorded contacts, so response cannot be trained.",
        "{campaigns} 个营销活动都没有接触记录，无法训练响应模型。",
    ),
    "response.no_responses": (
        "None of the {contacts} campaign contacts responded, so response cannot be trained.",
        "{contacts} 次营销接触均无响应，无法训练响应模型。",
    ),
    "model.one_class": (
        "All {rows} training rows have the same outcome, so the model has nothing to learn from.",
        "全部 {rows} 条训练数据的结果相同，模型无从学习。",
    ),
    "model.no_features": (
        "No usable feature is left: every column looks like an identifier or gives the answer away.",
        "没有可用的特征：所有字段都像标识符或直接泄露了结果。",
    ),
    "run.under_way": (
        "A {kind} run is already under way on these data (started by {by} at {at}). "
        "Wait for it to finish or cancel it in the run list.",
        "当前数据上已有一个{kind}运行正在进行（由 {by} 于 {at} 启动）。请等待其完成，或在运行列表中取消。",
    ),
    "run.not_claimed": ("This run has already started.", "该运行已经开始。"),
    "run.data_changed": (
        "The data were reloaded after the run was asked for; start it again.",
        "提交运行后数据已重新加载，请重新启动。",
    ),
    "run.not_running": ("This run is no longer running.", "该运行已不在进行中。"),
    "run.failed": (
        "The run failed: {reason}. Details are in the run list.",
        "运行失败：{reason}。详情见运行列表。",
    ),
    "run.died": (
        "The run's process stopped before it finished (for example the server restarted); start it again.",
        "运行进程在完成前中止（例如服务器重启），请重新启动。",
    ),
    "run.never_started": (
        "The run's background process never started; start it again.",
        "运行的后台进程未能启动，请重新启动。",
    ),
    "approval.not_awaiting": ("This run is not awaiting approval.", "该运行不在待审批状态。"),
    "approval.output_missing": (
        "The scores of this run are no longer on disk, so they cannot be published.",
        "该运行的评分文件已不存在，无法发布。",
    ),
}

_TEXTS: dict[str, tuple[str, str]] = {
    "nav.models": ("Model runs", "模型运行"),
    "models.title": ("Model runs", "模型运行"),
    "models.subtitle": (
        "Start a model on the current data, watch it, cancel it, and review every run. A run keeps "
        "going if you leave or reload the page.",
        "在当前数据上启动模型运行、查看进度、取消运行并查看历次运行。离开或刷新页面不会中断运行。",
    ),
    "models.denied": (
        "Only analysts and administrators may start, cancel or review model runs.",
        "仅分析师和管理员可以启动、取消或查看模型运行。",
    ),
    "models.approve_denied": ("Only administrators may approve or reject a run.", "仅管理员可以审批运行。"),
    "models.start_title": ("Start a run", "启动运行"),
    "models.kind": ("Model", "模型"),
    "models.kind.segmentation": ("segmentation", "客户细分"),
    "models.kind.value": ("value", "客户价值"),
    "models.kind.crosssell": ("cross-sell", "交叉销售"),
    "models.kind.churn": ("churn and dormancy", "流失与休眠"),
    "models.kind.response": ("campaign response", "营销响应"),
    # published scores an incremental append carried over from the previous month's data
    "models.scores_carried": (
        "Scores as of {month} (computed before the latest month was loaded)",
        "评分截至{month}（在最新月份数据加载前计算）",
    ),
    "models.scores_carried_kind": ("{month} for {kind}", "{kind}{month}"),
    "models.scores_carried_join": (", ", "、"),
    "models.about.segmentation": (
        "Behaviour segments: factor analysis of the behaviour features, then clustering. "
        "Publishes the segment dimension to the cube.",
        "行为细分：对行为特征做因子分析后聚类，并把细分维度发布到多维模型。",
    ),
    "models.about.value": (
        "Value score and tiers, and customers whose predicted value is well above their current "
        "one (potential). Publishes the value tier dimension.",
        "客户价值评分与分层，以及预测价值明显高于当前价值的潜力客户；发布价值层级维度。",
    ),
    "models.about.crosssell": (
        "Association rules between products, and a propensity model per product.",
        "产品之间的关联规则，以及每个产品的购买倾向模型。",
    ),
    "models.about.churn": (
        "Churn warning list; the same run also ranks dormant customers by activation value "
        "(dormancy is part of the churn run).",
        "流失预警名单；同一运行还按激活价值对休眠客户排序（休眠分析包含在流失运行中）。",
    ),
    "models.about.response": (
        "Who will respond to a new campaign, learned from past campaign contacts.",
        "基于历史营销接触记录，预测哪些客户会响应新的营销活动。",
    ),
    "models.param.k": ("Number of segments", "细分数"),
    "models.param.k_auto": ("automatic (best silhouette)", "自动（按轮廓系数）"),
    "models.param.factors": ("Factors", "因子数"),
    "models.param.gap": ("Potential gap (score points)", "潜力差距（分）"),
    "models.param.support": ("Minimum support", "最小支持度"),
    "models.param.confidence": ("Minimum confidence", "最小置信度"),
    "models.param.products": ("Products to model", "建模产品"),
    "models.param.horizon": ("Horizon (months)", "预测期（月）"),
    "models.param.category": ("Product category of the new campaign", "新活动的产品类别"),
    "models.param.channel": ("Channel of the new campaign", "新活动的渠道"),
    "models.param.latest": ("as the latest campaign", "同最近一次活动"),
    "models.start": ("Start", "启动"),
    "models.cancel": ("Cancel this run", "取消本次运行"),
    "models.cancel_row": ("Cancel", "取消"),
    "models.approve": ("Approve", "批准"),
    "models.reject": ("Reject", "驳回"),
    "models.started": (
        "The {kind} run has started. You may leave this page: it keeps running.",
        "{kind}运行已启动。您可以离开本页，运行不会中断。",
    ),
    "models.cancel_asked": (
        "Cancelling: the run stops at its next step.",
        "正在取消：运行将在下一步停止。",
    ),
    "models.nothing_to_cancel": ("No run started from this page is running.", "本页没有正在进行的运行。"),
    "models.succeeded": ("The {kind} run finished.", "{kind}运行已完成。"),
    "models.awaiting": (
        "The {kind} run finished; its scores wait for an administrator's approval before the "
        "cube shows them.",
        "{kind}运行已完成，其评分需经管理员批准后才会在多维模型中显示。",
    ),
    "models.cancelled": ("The run was cancelled.", "运行已取消。"),
    "models.approved": ("Approved: the scores are published to the cube.", "已批准：评分已发布到多维模型。"),
    "models.rejected": ("Rejected: the scores will not be published.", "已驳回：评分不会发布。"),
    "models.bad_ticket": (
        "This run request is not valid; start the run again.",
        "运行请求无效，请重新启动。",
    ),
    "models.runs": ("Run list", "运行列表"),
    "models.runs_note": (
        "Every run, newest first. Times are UTC. A running row updates by itself.",
        "所有运行，最新的在前；时间为 UTC。进行中的运行会自动刷新。",
    ),
    "models.no_runs": ("No model has run yet.", "尚无模型运行记录。"),
    "models.col.started": ("Started", "开始时间"),
    "models.col.kind": ("Model", "模型"),
    "models.col.status": ("Status", "状态"),
    "models.col.progress": ("Progress", "进度"),
    "models.col.params": ("Parameters", "参数"),
    "models.col.version": ("Data version", "数据版本"),
    "models.col.duration": ("Duration", "耗时"),
    "models.col.by": ("Started by", "启动人"),
    "models.col.metrics": ("Key figures", "关键指标"),
    "models.col.actions": ("Actions", "操作"),
    "models.status.running": ("running", "运行中"),
    "models.status.succeeded": ("succeeded", "成功"),
    "models.status.failed": ("failed", "失败"),
    "models.status.cancelled": ("cancelled", "已取消"),
    "models.status.awaiting": ("awaiting approval", "待审批"),
    "models.status.approved": ("approved by {by}", "已由 {by} 批准"),
    "models.status.rejected": ("rejected by {by}", "已由 {by} 驳回"),
    "models.status.cancel_asked": ("cancel asked by {by}", "{by} 已请求取消"),
    "models.details": ("Details", "详情"),
    "models.warnings": ("{count} feature(s) left out", "{count} 个特征被排除"),
    "models.warning.identifier": (
        "{feature} left out: it looks like an identifier ({distinct} distinct values in {rows} rows).",
        "已排除 {feature}：疑似标识符（{rows} 行中有 {distinct} 个不同值）。",
    ),
    "models.warning.leak": (
        "{feature} left out: alone it predicts the outcome almost perfectly (AUC {auc}), so it "
        "probably records the outcome itself.",
        "已排除 {feature}：单独使用即可几乎完美地预测结果（AUC {auc}），很可能直接记录了结果。",
    ),
    "models.metric.customers": ("customers", "客户数"),
    "models.metric.n_clusters": ("segments", "细分数"),
    "models.metric.potential": ("potential customers", "潜力客户"),
    "models.metric.rules": ("rules", "规则数"),
    "models.metric.products_modelled": ("products modelled", "建模产品数"),
    "models.metric.mean_auc": ("mean AUC", "平均 AUC"),
    "models.metric.auc": ("holdout AUC", "验证集 AUC"),
    "models.metric.train_churners": ("churners in training", "训练期流失客户"),
    "models.metric.dormant": ("dormant customers", "休眠客户"),
    "models.metric.contacts_history": ("past contacts", "历史接触"),
    "models.word.customers": ("customers", "客户"),
    "models.word.campaign contacts": ("campaign contacts", "营销接触"),
    "models.word.all": ("all", "全部"),
    "models.seconds": ("{n} s", "{n} 秒"),
    "models.minutes": ("{m} min {s} s", "{m} 分 {s} 秒"),
    "admin.models": ("Model publishing", "模型发布"),
    "admin.approval": (
        "Require an administrator's approval before a run's scores (segments, value tiers) are "
        "published to the cube",
        "运行评分（客户细分、价值层级）发布到多维模型前须经管理员批准",
    ),
    "admin.approval_on": ("Approval before publishing is now required.", "现已要求发布前审批。"),
    "admin.approval_off": ("Scores are now published automatically.", "评分现将自动发布。"),
}

# Progress messages of the model runs (mining reports them in English): English -> Chinese.
_STEPS: dict[str, str] = {
    "waiting to start": "等待启动",
    "starting": "正在启动",
    "checking the data": "正在检查数据",
    "loading behaviour features": "正在加载行为特征",
    "factor analysis and clustering": "因子分析与聚类",
    "writing outputs": "正在写入结果",
    "migration matrix": "迁移矩阵",
    "done": "完成",
    "publishing the scores to the cube": "正在把评分发布到多维模型",
    "awaiting approval before publishing": "发布前等待审批",
    "loading value and profile features": "正在加载价值与画像特征",
    "scoring and predicting potential": "评分并预测潜力",
    "loading holdings": "正在加载持有数据",
    "scoring every customer for every product": "为每位客户计算各产品评分",
    "segment x product affinity": "细分 × 产品亲和度",
    "loading training months": "正在加载训练月份",
    "fitting churn model": "正在训练流失模型",
    "evaluating on the time-based holdout": "在时间外验证集上评估",
    "scoring current customers": "正在为当前客户评分",
    "ranking dormant customers": "正在为休眠客户排序",
    "loading campaign history": "正在加载营销历史",
    "fitting on the earlier 80% of contacts": "用较早的 80% 接触记录训练",
    "refitting on all contacts": "用全部接触记录重新训练",
    "scoring candidates for the new campaign": "为新活动的候选客户评分",
}
_TEXTS["models.step.propensity"] = ("propensity model {product}", "产品 {product} 的倾向模型")

MESSAGES: dict[str, dict[str, str]] = {
    **{f"models.step.{en}": {"en": en, "zh": zh} for en, zh in _STEPS.items()},
    **{key: {"en": en, "zh": zh} for key, (en, zh) in _TEXTS.items()},
    **{f"models.refused.{key}": {"en": en, "zh": zh} for key, (en, zh) in _REFUSED.items()},
}
