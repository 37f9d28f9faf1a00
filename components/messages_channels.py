"""Texts of the Channels view, en and zh (merged into the one catalog by components.i18n)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "channels.title": {"en": "Channels", "zh": "渠道分析"},
    "channels.subtitle": {
        "en": "{period}, compared with {other}. Transactions are counted at the booking branch; "
        "migration and preference at the customer's home branch.",
        "zh": "{period},对比 {other}。交易按记账网点统计;主渠道迁移和渠道偏好按客户归属网点统计。",
    },
    "channels.measure": {"en": "Measure", "zh": "指标"},
    "channels.level": {"en": "Level", "zh": "层级"},
    "channels.trend": {"en": "By channel, last 13 months", "zh": "分渠道近13个月走势"},
    "channels.trend_note": {
        "en": "Click a point: drill, break down or list the transactions of that channel.",
        "zh": "点击数据点:下钻、拆分或查看该渠道的交易明细。",
    },
    "channels.mix": {"en": "Channel mix in {period}", "zh": "{period} 渠道结构"},
    "channels.share": {"en": "Share of each channel in each branch", "zh": "各网点渠道占比"},
    "channels.share_note": {
        "en": "Share of the branch's transactions in {period}. Click a row for that branch.",
        "zh": "{period} 各渠道占网点交易笔数的比例。点击一行查看该网点。",
    },
    "channels.busy": {"en": "When customers come: weekday × hour", "zh": "繁忙时段:星期 × 小时"},
    "channels.busy_note": {
        "en": "Transactions in {period} by weekday and hour of the day.",
        "zh": "{period} 按星期和小时统计的交易笔数。",
    },
    "channels.busy_channel": {"en": "Channel", "zh": "渠道"},
    "channels.all_channels": {"en": "All channels", "zh": "全部渠道"},
    "channels.hour": {"en": "Hour of day", "zh": "小时"},
    "channels.migration": {"en": "Main channel migration", "zh": "主渠道迁移"},
    "channels.migration_note": {
        "en": "Customers of {period} by main channel in {before} (rows) and in {period} (columns). "
        "Main channel: the channel with most transactions in the month (ties: the first in the "
        "standard channel order).",
        "zh": "{period} 的客户按 {before}(行)与 {period}(列)的主渠道统计。主渠道:当月交易笔数最多的渠道"
        "(笔数相同时取标准渠道顺序中靠前者)。",
    },
    "channels.migration_month_note": {
        "en": "Migration compares with the month before or the same month last year; "
        "for a chosen month it shows the month before.",
        "zh": "主渠道迁移只对比上月或去年同月;选择其他对比月份时显示与上月的对比。",
    },
    "channels.migration_summary": {
        "en": "Kept their main channel: {kept} · moved to another: {moved} · started transacting: "
        "{started} · stopped: {stopped}",
        "zh": "主渠道不变:{kept} · 转向其他渠道:{moved} · 新开始交易:{started} · 停止交易:{stopped}",
    },
    "channels.none": {"en": "No transactions", "zh": "无交易"},
    "channels.previous_month": {"en": "the month before", "zh": "上月"},
    "channels.last_year": {"en": "the same month last year", "zh": "去年同月"},
    "channels.preference": {"en": "Channel preference by", "zh": "渠道偏好:按"},
    "channels.preference_note": {
        "en": "Share of each group's transactions in {period} made through each channel.",
        "zh": "{period} 各客群交易笔数中各渠道所占比例。",
    },
    "channels.anomalies": {"en": "Channel anomalies", "zh": "渠道异动"},
    "channels.anomalies_note": {
        "en": "Channel × branch × month cells far from what the season and the branch's own "
        "history predict (robust z above 3.5), in the 13 months up to {period}; most severe first. "
        "Click a row to list its transactions.",
        "zh": "近13个月(截至 {period})中明显偏离季节规律和网点自身历史的 渠道×网点×月份(稳健 z 值超过 3.5),"
        "按严重程度排序。点击一行查看对应交易。",
    },
    "channels.no_anomalies": {"en": "No unusual channel activity.", "zh": "没有渠道异动。"},
    "channels.empty": {"en": "No transactions in this selection.", "zh": "所选范围内没有交易。"},
    "channels.col.month": {"en": "Month", "zh": "月份"},
    "channels.col.branch": {"en": "Branch", "zh": "网点"},
    "channels.col.channel": {"en": "Channel", "zh": "渠道"},
    "channels.col.txn_count": {"en": "Transactions", "zh": "交易笔数"},
    "channels.col.expected": {"en": "Expected", "zh": "预期笔数"},
    "channels.col.change": {"en": "vs expected", "zh": "较预期"},
    "channels.col.z": {"en": "Robust z", "zh": "稳健z值"},
    "channels.col.what": {"en": "What happened", "zh": "异动情况"},
    "channels.what.days": {
        "en": "{observed} transactions in {days} days from {start} (expected {expected})",
        "zh": "{start} 起 {days} 天内 {observed} 笔(预期 {expected})",
    },
    "channels.what.txn_count": {
        "en": "Month's transactions {direction} on the usual level",
        "zh": "当月交易笔数{direction}",
    },
    "channels.what.amount": {
        "en": "Month's amount {direction} on the usual level",
        "zh": "当月交易金额{direction}",
    },
    "channels.up": {"en": "above", "zh": "高于常态"},
    "channels.down": {"en": "below", "zh": "低于常态"},
}
