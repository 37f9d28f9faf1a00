"""The message catalog: every UI text in English and Simplified Chinese, in one place.

Pages and components ask ``t(key, lang)``; a missing key fails loudly in tests (the catalog
test checks both languages carry the same keys) instead of showing a raw key to a user.
"""

from __future__ import annotations

from components import (
    messages_admin,
    messages_campaigns,
    messages_channels,
    messages_cross_sell,
    messages_customer360,
    messages_customers,
    messages_deck_export,
    messages_decks,
    messages_evaluation,
    messages_groups,
    messages_mining,
    messages_products,
    messages_segmentation,
    messages_worklist,
)
from components.messages_frame import FRAME_MESSAGES

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "app.title": {"en": "Marketing Analytics", "zh": "营销分析管理系统"},
    "nav.overview": {"en": "Overview", "zh": "总览"},
    "nav.customers": {"en": "Customers", "zh": "客户"},
    "nav.products": {"en": "Products", "zh": "产品"},
    "nav.channels": {"en": "Channels", "zh": "渠道"},
    "nav.branches": {"en": "Branches", "zh": "网点"},
    "nav.segmentation": {"en": "Segmentation", "zh": "客户细分"},
    "nav.cross_sell": {"en": "Cross-sell", "zh": "交叉销售"},
    "nav.campaigns": {"en": "Campaigns", "zh": "营销活动"},
    "nav.customer360": {"en": "Customer 360", "zh": "客户360"},
    "nav.admin": {"en": "Admin", "zh": "系统管理"},
    "nav.sign_out": {"en": "Sign out", "zh": "退出"},
    "signout.stay": {"en": "Stay signed in", "zh": "保持登录"},
    "nav.language": {"en": "中文", "zh": "English"},
    "coming.title": {"en": "Coming in a later release", "zh": "将在后续版本提供"},
    "coming.overview": {
        "en": "Headline KPIs for the whole bank with period-over-period change and alerts.",
        "zh": "全行核心指标、环比变化与预警。",
    },
    "coming.customers": {
        "en": "Customer base by age, income, occupation, tenure and value tier, with drill-down.",
        "zh": "按年龄、收入、职业、客龄和价值层级分析客户结构，可逐层下钻。",
    },
    "coming.products": {
        "en": "Holdings and penetration by product category and product, with trends.",
        "zh": "按产品类别和产品分析持有与渗透率及其趋势。",
    },
    "coming.channels": {
        "en": "Transactions and migration across counter, self-service, digital and remote channels.",
        "zh": "柜面、自助、电子和远程渠道的交易量与渠道迁移分析。",
    },
    "coming.segmentation": {
        "en": "Behaviour segments and value tiers from the mining models, with profiles.",
        "zh": "基于数据挖掘模型的行为细分与价值分层及画像。",
    },
    "coming.cross_sell": {
        "en": "Product association rules and per-customer next-best-product propensities.",
        "zh": "产品关联规则与客户级下一最佳产品倾向。",
    },
    "coming.campaigns": {
        "en": "Target lists from model output, campaign execution and measured response.",
        "zh": "根据模型结果生成目标名单，执行营销活动并评估响应。",
    },
    "coming.customer360": {
        "en": "One customer's holdings, transactions, contacts and model scores on one page.",
        "zh": "单一客户的持有产品、交易、接触记录与模型评分。",
    },
    "signin.title": {"en": "Sign in", "zh": "登录"},
    "signin.username": {"en": "Username", "zh": "用户名"},
    "signin.password": {"en": "Password", "zh": "密码"},
    "signin.submit": {"en": "Sign in", "zh": "登录"},
    "signin.failed": {"en": "Wrong username or password.", "zh": "用户名或密码错误。"},
    "form.expired": {
        "en": "This form has expired or was not sent from this site; nothing was done. Please try again.",
        "zh": "表单已过期或并非从本站提交，未执行任何操作。请重试。",
    },
    "form.retry": {"en": "Try again", "zh": "重试"},
    "signin.locked": {
        "en": "Too many failed attempts. Try again in {seconds} seconds.",
        "zh": "失败次数过多，请在 {seconds} 秒后重试。",
    },
    "filter.period": {"en": "Period", "zh": "期间"},
    "filter.region": {"en": "Region", "zh": "区域"},
    "filter.branch": {"en": "Branch", "zh": "网点"},
    "filter.all": {"en": "All", "zh": "全部"},
    "filter.compare": {"en": "compared with {period}", "zh": "对比 {period}"},
    "kpi.customers": {"en": "Customers", "zh": "客户数"},
    "kpi.aum": {"en": "AUM", "zh": "管理资产"},
    "kpi.deposits": {"en": "Deposits", "zh": "存款"},
    "kpi.loans": {"en": "Loans", "zh": "贷款"},
    "kpi.contribution": {"en": "Contribution", "zh": "贡献"},
    "kpi.new_customers": {"en": "New customers", "zh": "新增客户"},
    "kpi.lost_customers": {"en": "Lost customers", "zh": "流失客户"},
    "kpi.vs_previous": {"en": "vs previous period", "zh": "较上期"},
    "branches.title": {"en": "Branch performance", "zh": "网点经营分析"},
    "branches.all_regions": {"en": "All regions", "zh": "全部区域"},
    "branches.level.region": {"en": "Regions", "zh": "区域"},
    "branches.level.branch": {"en": "Branches", "zh": "网点"},
    "branches.level.manager": {"en": "Relationship managers", "zh": "客户经理"},
    "branches.drill_hint": {
        "en": "Click a bar or a row to drill down; use the breadcrumb or Back to go up.",
        "zh": "点击柱形或表格行下钻；通过导航路径或浏览器后退返回上层。",
    },
    "branches.by_level": {"en": "AUM by {level}", "zh": "按{level}的管理资产"},
    "branches.trend": {"en": "Monthly trend", "zh": "月度趋势"},
    "branches.score": {"en": "Composite score and ranking", "zh": "综合评分与排名"},
    "branches.score_explained": {
        "en": "Score = 30% AUM + 20% deposits + 20% contribution + 15% new customers + 15% target "
        "attainment, each scaled 0-100 against the best unit at this level.",
        "zh": "综合评分 = 管理资产 30% + 存款 20% + 贡献 20% + 新增客户 15% + 目标达成率 15%，"
        "各项按本层级最优单位折算为 0-100 分。",
    },
    "branches.targets": {"en": "Target vs actual", "zh": "目标与实际"},
    "branches.customers": {"en": "Customers behind the figures", "zh": "明细客户"},
    "branches.customers_hidden": {
        "en": "Your role shows aggregates only: no customer-level rows.",
        "zh": "您的角色仅可查看汇总数据，不显示客户明细。",
    },
    "branches.export_csv": {"en": "Export CSV", "zh": "导出 CSV"},
    "branches.export_xlsx": {"en": "Export Excel", "zh": "导出 Excel"},
    "branches.empty": {"en": "No data for this selection.", "zh": "所选范围无数据。"},
    "branches.no_targets": {"en": "No targets set for this level.", "zh": "该层级未设定目标。"},
    # an optional table (campaigns, contacts, targets) the bank's extract did not have
    "data.not_loaded": {
        "en": "Nothing to show: {files} was not loaded with this data (the extract did not have it).",
        "zh": "无可显示内容：本次导入的数据中没有 {files}。",
    },
    "col.name": {"en": "Name", "zh": "名称"},
    "col.rank": {"en": "Rank", "zh": "排名"},
    "col.score": {"en": "Score", "zh": "评分"},
    "col.metric": {"en": "Metric", "zh": "指标"},
    "col.target": {"en": "Target", "zh": "目标"},
    "col.actual": {"en": "Actual", "zh": "实际"},
    "col.attainment": {"en": "Attainment", "zh": "达成率"},
    "col.month": {"en": "Month", "zh": "月份"},
    "admin.title": {"en": "Users and audit log", "zh": "用户与审计日志"},
    "admin.only": {"en": "Only administrators may open this page.", "zh": "仅管理员可访问此页面。"},
    "admin.users": {"en": "Users", "zh": "用户"},
    "admin.new_user": {"en": "New user", "zh": "新增用户"},
    "admin.role": {"en": "Role", "zh": "角色"},
    "admin.scope_region": {"en": "Region id", "zh": "区域编号"},
    "admin.scope_branch": {"en": "Branch id", "zh": "网点编号"},
    "admin.scope_manager": {"en": "Manager id", "zh": "客户经理编号"},
    "admin.active": {"en": "Active", "zh": "启用"},
    "admin.save": {"en": "Save", "zh": "保存"},
    "admin.saved": {"en": "Saved.", "zh": "已保存。"},
    "admin.audit": {"en": "Audit log", "zh": "审计日志"},
    "admin.password_hint": {"en": "Password (at least 8 characters)", "zh": "密码（至少 8 个字符）"},
    "role.admin": {"en": "Administrator", "zh": "管理员"},
    "role.analyst": {"en": "Head-office analyst", "zh": "总行分析师"},
    "role.marketing_head": {"en": "Head of marketing", "zh": "营销负责人"},
    "role.branch_manager": {"en": "Branch manager", "zh": "网点负责人"},
    "role.relationship_manager": {"en": "Relationship manager", "zh": "客户经理"},
    "role.presenter": {"en": "Presenter", "zh": "汇报演示"},
    # Units on axis titles (components.formatting.unit_label).
    "unit.money": {"en": "¥", "zh": "元"},
    "unit.customers": {"en": "customers", "zh": "户"},
    "unit.accounts": {"en": "accounts", "zh": "个"},
    "unit.transactions": {"en": "transactions", "zh": "笔"},
    "unit.products": {"en": "products", "zh": "个"},
    "unit.contacts": {"en": "contacts", "zh": "次"},
    # Figures and tables (components.figures, components.tables).
    "figure.other": {"en": "Other", "zh": "其他"},
    "table.open_customer": {"en": "Open this customer (Customer 360)", "zh": "查看该客户（客户360视图）"},
    "table.cut_note": {
        "en": "Showing the first {shown} of {total} customers",
        "zh": "显示前 {shown} 位，共 {total} 位客户",
    },
    # AG Grid texts, passed as its localeText: "grid.<AG Grid key>" (the English ones are
    # AG Grid's own defaults, so both languages carry every key).
    "grid.page": {"en": "Page", "zh": "第"},
    "grid.of": {"en": "of", "zh": "共"},
    "grid.to": {"en": "to", "zh": "至"},
    "grid.more": {"en": "more", "zh": "更多"},
    "grid.firstPage": {"en": "First Page", "zh": "首页"},
    "grid.previousPage": {"en": "Previous Page", "zh": "上一页"},
    "grid.nextPage": {"en": "Next Page", "zh": "下一页"},
    "grid.lastPage": {"en": "Last Page", "zh": "末页"},
    "grid.pageSizeSelectorLabel": {"en": "Page Size:", "zh": "每页行数："},
    "grid.ariaPageSizeSelectorLabel": {"en": "Page Size", "zh": "每页行数"},
    "grid.loadingOoo": {"en": "Loading...", "zh": "加载中..."},
    "grid.noRowsToShow": {"en": "No Rows To Show", "zh": "暂无数据"},
    "grid.filterOoo": {"en": "Filter...", "zh": "筛选..."},
    "grid.searchOoo": {"en": "Search...", "zh": "搜索..."},
    "grid.selectAll": {"en": "(Select All)", "zh": "（全选）"},
    "grid.blanks": {"en": "(Blanks)", "zh": "（空白）"},
    "grid.empty": {"en": "Choose one", "zh": "请选择"},
    "grid.equals": {"en": "Equals", "zh": "等于"},
    "grid.notEqual": {"en": "Does not equal", "zh": "不等于"},
    "grid.contains": {"en": "Contains", "zh": "包含"},
    "grid.notContains": {"en": "Does not contain", "zh": "不包含"},
    "grid.startsWith": {"en": "Begins with", "zh": "开头是"},
    "grid.endsWith": {"en": "Ends with", "zh": "结尾是"},
    "grid.blank": {"en": "Blank", "zh": "为空"},
    "grid.notBlank": {"en": "Not blank", "zh": "不为空"},
    "grid.lessThan": {"en": "Less than", "zh": "小于"},
    "grid.greaterThan": {"en": "Greater than", "zh": "大于"},
    "grid.lessThanOrEqual": {"en": "Less than or equal to", "zh": "小于等于"},
    "grid.greaterThanOrEqual": {"en": "Greater than or equal to", "zh": "大于等于"},
    "grid.inRange": {"en": "Between", "zh": "介于"},
    "grid.inRangeStart": {"en": "From", "zh": "从"},
    "grid.inRangeEnd": {"en": "To", "zh": "到"},
    "grid.before": {"en": "Before", "zh": "早于"},
    "grid.after": {"en": "After", "zh": "晚于"},
    "grid.dateFormatOoo": {"en": "yyyy-mm-dd", "zh": "yyyy-mm-dd"},
    "grid.andCondition": {"en": "AND", "zh": "并且"},
    "grid.orCondition": {"en": "OR", "zh": "或者"},
    "grid.applyFilter": {"en": "Apply", "zh": "应用"},
    "grid.resetFilter": {"en": "Reset", "zh": "重置"},
    "grid.clearFilter": {"en": "Clear", "zh": "清除"},
    "grid.cancelFilter": {"en": "Cancel", "zh": "取消"},
    "grid.columns": {"en": "Columns", "zh": "列"},
    "grid.filters": {"en": "Filters", "zh": "筛选"},
    "grid.pinColumn": {"en": "Pin Column", "zh": "固定列"},
    "grid.pinLeft": {"en": "Pin Left", "zh": "固定在左侧"},
    "grid.pinRight": {"en": "Pin Right", "zh": "固定在右侧"},
    "grid.noPin": {"en": "No Pin", "zh": "不固定"},
    "grid.autosizeThisColumn": {"en": "Autosize This Column", "zh": "自适应此列宽度"},
    "grid.autosizeAllColumns": {"en": "Autosize All Columns", "zh": "自适应所有列宽度"},
    "grid.resetColumns": {"en": "Reset Columns", "zh": "重置列"},
    "grid.sortAscending": {"en": "Sort Ascending", "zh": "升序排列"},
    "grid.sortDescending": {"en": "Sort Descending", "zh": "降序排列"},
    "grid.sortUnSort": {"en": "Clear Sort", "zh": "取消排序"},
    "grid.copy": {"en": "Copy", "zh": "复制"},
    "grid.copyWithHeaders": {"en": "Copy with Headers", "zh": "连同表头复制"},
}

MESSAGES.update(FRAME_MESSAGES)
for _view in (
    messages_admin,
    messages_customers,
    messages_products,
    messages_channels,
    messages_mining,
    messages_segmentation,
    messages_cross_sell,
    messages_customer360,
    messages_decks,
    messages_deck_export,
    messages_evaluation,
    messages_groups,
    messages_worklist,
    messages_campaigns,
):
    MESSAGES.update(_view.MESSAGES)


def normalise_lang(lang: str | None) -> str:
    """A supported language code; anything else falls back to the default."""
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None, **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    text = MESSAGES[key][normalise_lang(lang)]
    return text.format(**values) if values else text
