"""Texts of deck export (PPTX, PDF, packs per branch or manager), en and zh.

Kept beside the main catalog; ``components.i18n`` merges them into one catalog, and the
catalog test checks both languages carry every key.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "export.title": {"en": "Export", "zh": "导出"},
    "export.note": {
        "en": "Files hold your scope's figures at the deck's data version; a pack holds one file "
        "per unit, each with that unit's figures only.",
        "zh": "文件包含您权限范围内、演示文稿所固定数据版本的数据；"
        "分包为每个单位一个文件，只含该单位的数据。",
    },
    "export.pptx": {"en": "Export PPTX", "zh": "导出PPTX"},
    "export.pdf": {"en": "Export PDF", "zh": "导出PDF"},
    "export.packs_branch": {"en": "Packs by branch", "zh": "按网点分包"},
    "export.packs_manager": {"en": "Packs by manager", "zh": "按客户经理分包"},
    "export.format": {"en": "Pack files", "zh": "分包文件"},
    "export.format.pptx": {"en": "PPTX", "zh": "PPTX"},
    "export.format.pdf": {"en": "PDF", "zh": "PDF"},
    "export.format.both": {"en": "PPTX and PDF", "zh": "PPTX和PDF"},
    "export.cancel": {"en": "Cancel", "zh": "取消"},
    "export.download": {"en": "Download again", "zh": "重新下载"},
    "export.started": {"en": "Preparing the file...", "zh": "正在生成文件……"},
    "export.step.slides": {"en": "Building slides", "zh": "正在生成幻灯片"},
    "export.step.unit": {"en": "Unit {done} of {total}: {unit}", "zh": "第{done}/{total}个单位：{unit}"},
    "export.step.writing": {"en": "Writing the file", "zh": "正在写入文件"},
    "export.done": {"en": "Ready: {name}", "zh": "已生成：{name}"},
    "export.done_packs": {"en": "Ready: {count} packs in {name}", "zh": "已生成：{name}，共{count}个分包"},
    "export.cancelled": {"en": "Export cancelled.", "zh": "导出已取消。"},
    "export.failed": {"en": "The export failed: {reason}", "zh": "导出失败：{reason}"},
    "export.denied": {"en": "You may not export this deck.", "zh": "您无权导出此演示文稿。"},
    "export.bad_ticket": {
        "en": "This export request is no longer valid; start it again.",
        "zh": "此导出请求已失效，请重新开始。",
    },
    "export.no_units": {
        "en": "Your scope holds no {kind} to make packs for.",
        "zh": "您的权限范围内没有可分包的{kind}。",
    },
    "export.too_many_units": {
        "en": "Your scope holds {count} units; packs are made for at most {limit} at once.",
        "zh": "您的权限范围内有{count}个单位，每次最多生成{limit}个分包。",
    },
    "export.manager_packs": {
        "en": "Packs by manager are made for a whole-bank scope; yours gets packs by branch.",
        "zh": "按客户经理分包仅适用于全行范围；您的范围可按网点分包。",
    },
    "export.kind.branch": {"en": "branches", "zh": "网点"},
    "export.kind.manager": {"en": "relationship managers", "zh": "客户经理"},
    # the cover and the pages of an exported deck
    "export.cover.scope": {"en": "Scope", "zh": "范围"},
    "export.cover.period": {"en": "Period", "zh": "期间"},
    "export.cover.version": {"en": "Data version", "zh": "数据版本"},
    "export.cover.as_of": {"en": "Data as of", "zh": "数据日期"},
    "export.cover.generated": {"en": "Generated", "zh": "生成时间"},
    "export.cover.by": {"en": "Prepared by", "zh": "制作人"},
    "export.notes": {"en": "Notes", "zh": "备注"},
    "export.page": {"en": "{n} / {total}", "zh": "{n} / {total}"},
    "export.more_rows": {"en": "{n} more rows not shown", "zh": "另有{n}行未显示"},
}
