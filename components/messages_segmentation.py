"""Texts of the segmentation pages, en and zh (merged into the one catalog by components.i18n)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "segmentation.title": {"en": "Segmentation", "zh": "客户细分"},
    "segmentation.subtitle": {
        "en": "Behaviour segments and value tiers of the model runs named below, over the data being "
        "served (data version {version}). Cube figures are for the run's month, under your scope and "
        "the filters; the model's own charts (factors, map, z-scores, choice of k, migration) cover "
        "every customer the model was fitted on.",
        "zh": "下列模型运行得到的行为细分与价值分层，"
        "基于当前数据（数据版本 {version}）。立方体指标为模型所用月份、"
        "在您的权限范围和筛选条件下的数据；模型自身的图表（因子、分布图、Z值、k的选择、迁移）覆盖模型拟合的全部客户。",
    },
    "segmentation.no_version": {
        "en": "No data is loaded yet, so no model can have run on it.",
        "zh": "尚未加载数据，因此没有可用的模型结果。",
    },
    "segmentation.run_header": {
        "en": "Segmentation run {run_id} · month {month} · finished {finished} · k = {k} · {customers} "
        "customers · data version {version}",
        "zh": "细分运行 {run_id} · 月份 {month} · 完成于 {finished} "
        "· k = {k} · {customers} 位客户 · 数据版本 {version}",
    },
    "segmentation.value_header": {
        "en": "Value run {run_id} · month {month} · finished {finished} · {customers} customers, "
        "{potential} potential big customers · data version {version}",
        "zh": "价值运行 {run_id} · 月份 {month} · 完成于 {finished}"
        " · {customers} 位客户，{potential} 位潜力大客户 · "
        "数据版本 {version}",
    },
    "segmentation.not_run": {
        "en": "No segmentation has run on the data being served yet.",
        "zh": "当前数据尚未运行客户细分模型。",
    },
    "segmentation.value_not_run": {
        "en": "No value scoring has run on the data being served yet.",
        "zh": "当前数据尚未运行客户价值模型。",
    },
    "segmentation.start_run": {"en": "Start one on the Model runs page", "zh": "前往模型运行页面启动"},
    "segmentation.not_in_cube": {
        "en": "This run's scores are not the ones the cube serves (not published yet, or awaiting "
        "approval): figures by segment from the cube, drill-through and links are not shown.",
        "zh": "该运行的结果尚未发布到立方体（未发布或待审批）：不显示按细分的立方体指标、明细和跳转链接。",
    },
    "segmentation.factors": {"en": "Factors behind behaviour", "zh": "行为因子"},
    "segmentation.loadings": {"en": "Factor loadings", "zh": "因子载荷"},
    "segmentation.loadings_note": {
        "en": "Varimax-rotated loadings of each behaviour feature on each factor (-1 to 1); a factor is "
        "named after its two largest loadings.",
        "zh": "各行为特征在各因子上的方差最大化旋转载荷（-1 到 1）；因子以载荷最大的两个特征命名。",
    },
    "segmentation.variance": {"en": "Variance explained per factor", "zh": "各因子解释的方差"},
    "segmentation.variance_axis": {"en": "Share of variance", "zh": "方差占比"},
    "segmentation.cumulative": {"en": "Cumulative", "zh": "累计"},
    "segmentation.feature": {"en": "Feature", "zh": "特征"},
    "segmentation.factor": {"en": "Factor", "zh": "因子"},
    "segmentation.k_choice": {
        "en": "Choice of k: silhouette and stability",
        "zh": "k 的选择：轮廓系数与稳定性",
    },
    "segmentation.k_note": {
        "en": "Silhouette: how well customers sit in their own segment. Stability: agreement (adjusted "
        "Rand index, 1 = identical) between segments fitted on bootstrap resamples. The marked k is "
        "the run's.",
        "zh": "轮廓系数：客户与所属细分的贴合程度。稳定性：在自助重抽样数据上拟合的细分之间的一致性"
        "（调整兰德指数，1 表示完全一致）。标记的 k 为本次运行所用。",
    },
    "segmentation.silhouette": {"en": "Silhouette", "zh": "轮廓系数"},
    "segmentation.stability": {"en": "Stability (ARI)", "zh": "稳定性（ARI）"},
    "segmentation.chosen_k": {"en": "chosen k = {k}", "zh": "选定 k = {k}"},
    "segmentation.k_given": {
        "en": "k was given for this run (not chosen by silhouette): only its own stability is shown.",
        "zh": "本次运行指定了 k（未按轮廓系数选择）：仅显示该 k 的稳定性。",
    },
    "segmentation.map": {"en": "Segments on a map", "zh": "细分分布图"},
    "segmentation.map_note": {
        "en": "A random sample of {shown} of the {total} customers, placed by the first two principal "
        "components of their behaviour. Click a point for the customers of its segment.",
        "zh": "从 {total} 位客户中随机抽取 {shown} 位"
        "，按行为的前两个主成分定位。点击某点可查看该细分的客户。",
    },
    "segmentation.profiles": {"en": "Segment profiles", "zh": "细分画像"},
    "segmentation.profiles_note": {
        "en": "Customers, AUM and contribution in {month}, shares of all customers in your scope and "
        "filters. Click a bar or a row: the customers behind it, a break-down, or cross-filter.",
        "zh": "{month} 的客户数、AUM 与贡献，占您权限范围"
        "和筛选条件内全部客户的比例。点击柱形或表格行：查看明细、"
        "按维度拆分或联动筛选。",
    },
    "segmentation.segment": {"en": "Segment", "zh": "细分"},
    "segmentation.share": {"en": "Share of customers", "zh": "客户占比"},
    "segmentation.aum_share": {"en": "Share of AUM", "zh": "AUM 占比"},
    "segmentation.contribution_share": {"en": "Share of contribution", "zh": "贡献占比"},
    "segmentation.zscores": {
        "en": "What sets each segment apart (z-scores)",
        "zh": "各细分的特征差异（Z 值）",
    },
    "segmentation.zscores_note": {
        "en": "(segment mean - mean of all customers) / standard deviation, per feature; red above "
        "average, blue below.",
        "zh": "各特征的（细分均值 - 全体均值）/ 标准差；红色高于平均，蓝色低于平均。",
    },
    "segmentation.open_in": {"en": "Open {segment} in", "zh": "在其他视图中查看 {segment}"},
    "segmentation.open_links": {"en": "Other views of a segment", "zh": "细分的其他视图"},
    "segmentation.names": {"en": "Segment names", "zh": "细分名称"},
    "segmentation.names_note": {
        "en": "Rename a segment in both languages; the new names show in every view.",
        "zh": "以中英文重命名细分；新名称将在所有视图中显示。",
    },
    "segmentation.name_en": {"en": "Name in English", "zh": "英文名称"},
    "segmentation.name_zh": {"en": "Name in Chinese", "zh": "中文名称"},
    "segmentation.save_name": {"en": "Save the names", "zh": "保存名称"},
    "segmentation.name_saved": {
        "en": "Saved: segment {segment} is now \u201c{en}\u201d / \u201c{zh}\u201d.",
        "zh": "已保存：细分 {segment} 现名为\u201c{en}\u201d /\u201c{zh}\u201d。",
    },
    "segmentation.name_saved_not_published": {
        "en": "Saved for this run; the cube serves another run, so other views keep its names.",
        "zh": "已为该运行保存；立方体使用的是另一次运行，其他视图仍显示其名称。",
    },
    "segmentation.name_invalid": {"en": "Not saved: {error}.", "zh": "未保存：{error}。"},
    "segmentation.name_not_allowed": {
        "en": "Only analysts and administrators may rename segments.",
        "zh": "只有分析师和管理员可以重命名细分。",
    },
    "segmentation.edited": {"en": "renamed", "zh": "已重命名"},
    "segmentation.migration": {"en": "Migration between segments", "zh": "细分迁移"},
    "segmentation.migration_vs": {"en": "Compare with", "zh": "对比对象"},
    "segmentation.migration_period": {
        "en": "The same model {months} months earlier ({month})",
        "zh": "同一模型应用于 {months} 个月前（{month}）",
    },
    "segmentation.migration_run": {
        "en": "Earlier run {run_id} (k = {k})",
        "zh": "之前的运行 {run_id}（k = {k}）",
    },
    "segmentation.migration_note": {
        "en": "Customers by segment before (rows) and now (columns); the colour is the share of the row. "
        "Click a cell for the customers of its segment now.",
        "zh": "行为之前的细分，列为现在的细分；颜色为占该行的比例。点击单元格可查看现属该细分的客户。",
    },
    "segmentation.migration_hover": {
        "en": "{before} → {after}<br>{customers} customers ({share} of the row)",
        "zh": "{before} → {after}<br>{customers} 位客户（占该行 {share}）",
    },
    "segmentation.migration_none": {
        "en": "This run has no earlier month to compare with (compare_months_back = 0, or too few months).",
        "zh": "该运行没有可比较的更早月份（compare_months_back = 0，或月份不足）。",
    },
    "segmentation.before": {"en": "Before", "zh": "之前"},
    "segmentation.after": {"en": "Now", "zh": "现在"},
    "segmentation.value": {"en": "Customer value", "zh": "客户价值"},
    "segmentation.pyramid": {"en": "Value pyramid", "zh": "价值金字塔"},
    "segmentation.pyramid_note": {
        "en": "Customers and AUM per value tier in {month}, under your scope and filters.",
        "zh": "{month} 各价值层级的客户数与 AUM（在您的权限范围和筛选条件下）。",
    },
    "segmentation.potential": {"en": "Potential big customers", "zh": "潜力大客户"},
    "segmentation.potential_note": {
        "en": "Customers whose value predicted from their profile is well above their value today: the "
        "bank has not yet won their wallet. {total} in your scope; highest value score first.",
        "zh": "根据画像预测的价值明显高于当前价值的客户：银行尚未赢得其主要"
        "业务。您的范围内共 {total} 位；按价值评分从高到低。",
    },
    "segmentation.potential_by_tier": {"en": "Potential big customers by tier", "zh": "各层级潜力大客户"},
    "segmentation.rows_hidden": {
        "en": "Customer lists are not shown to your role; the charts show the aggregates.",
        "zh": "您的角色不显示客户名单；图表显示汇总数据。",
    },
    "segmentation.empty": {"en": "No customers match these filters.", "zh": "没有符合筛选条件的客户。"},
    "segmentation.no_output": {
        "en": "This run did not write this output (a run from an earlier release): run the model again.",
        "zh": "该运行没有此项输出（早期版本的运行）：请重新运行模型。",
    },
}
