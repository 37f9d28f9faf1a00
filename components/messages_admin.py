"""Texts of the Admin page's user forms and of faults the machine reports, en and zh (merged
into the one catalog by components.i18n).

``admin.error.<key>`` translates an ``auth.users.UserError`` of that key (its parameters fill
the placeholders); ``admin.change.<field>`` describes one field an update changed.
"""

from __future__ import annotations

_TEXTS: dict[str, tuple[str, str]] = {
    "admin.create": ("Create", "创建"),
    "admin.edit_user": ("Change a user", "修改用户"),
    "admin.edit_pick": ("User to change", "要修改的用户"),
    "admin.new_password": (
        "New password (leave empty to keep the current one)",
        "新密码（留空则不修改）",
    ),
    "admin.created": ("Created user {name}: {summary}.", "已创建用户 {name}：{summary}。"),
    "admin.changed": ("Changed user {name}: {changes}.", "已修改用户 {name}：{changes}。"),
    "admin.unchanged": ("Nothing to change for {name}.", "用户 {name} 没有需要保存的修改。"),
    "admin.none": ("none", "无"),
    "admin.all_data": ("all data", "全部数据"),
    "admin.state_active": ("active", "启用"),
    "admin.state_disabled": ("disabled", "停用"),
    "admin.change.role": ("role {before} → {after}", "角色 {before} → {after}"),
    "admin.change.region_id": ("region {before} → {after}", "区域 {before} → {after}"),
    "admin.change.branch_id": ("branch {before} → {after}", "网点 {before} → {after}"),
    "admin.change.manager_id": ("manager {before} → {after}", "客户经理 {before} → {after}"),
    "admin.change.password": ("password reset", "密码已重置"),
    "admin.change.disabled": ("disabled", "已停用"),
    "admin.change.enabled": ("enabled again", "已重新启用"),
    "admin.scope.region_id": ("region {value}", "区域 {value}"),
    "admin.scope.branch_id": ("branch {value}", "网点 {value}"),
    "admin.scope.manager_id": ("manager {value}", "客户经理 {value}"),
    "admin.error.exists": (
        "A user named {username} exists already; nothing was changed. To change that user, pick "
        "them under “Change a user”.",
        "用户名 {username} 已存在，未做任何修改。如需修改该用户，请在“修改用户”中选择。",
    ),
    "admin.error.stale": (
        "{username} was changed by someone else since you opened it — reload, then make your "
        "change again. Nothing was saved.",
        "自您打开后，{username} 已被他人修改——请重新加载后再修改。本次未保存。",
    ),
    "admin.error.missing": (
        "There is no user {username} (any more); nothing was changed.",
        "用户 {username} 不存在（或已不存在），未做任何修改。",
    ),
    "admin.error.username": (
        "A username of 1 to {high} characters is needed.",
        "用户名须为 1 至 {high} 个字符。",
    ),
    "admin.error.password": (
        "A password of {low} to {high} characters is needed.",
        "密码须为 {low} 至 {high} 个字符。",
    ),
    "admin.error.role": ("Pick one of the roles.", "请选择一个角色。"),
    "admin.error.scope_number": (
        "Region, branch and manager ids are whole numbers.",
        "区域、网点和客户经理编号须为整数。",
    ),
    "admin.error.one_scope": (
        "A scope is one region, one branch or one manager, not several.",
        "数据范围只能是一个区域、一个网点或一位客户经理，不能同时设置多个。",
    ),
    "admin.error.branch_scope": (
        "A branch manager needs a branch or a region.",
        "网点负责人需要指定网点或区域。",
    ),
    "admin.error.rm_scope": (
        "A relationship manager needs a manager id.",
        "客户经理需要指定客户经理编号。",
    ),
    "admin.error.flag": ("Active is either ticked or not.", "“启用”只能勾选或不勾选。"),
    "admin.error.pick": ("Pick a user to change first.", "请先选择要修改的用户。"),
    # Faults of the machine (app.py, pages._jobs)
    "signin.store_unwritable": (
        "Sign-in is unavailable: the operational store (ops.sqlite in the app's home folder) "
        "cannot be written. An administrator must make it writable (owner, permissions, free "
        "disk space); the server log names the file.",
        "暂时无法登录：运营库（应用主目录中的 ops.sqlite）无法写入。请管理员使其可写"
        "（属主、权限、磁盘空间）；服务器日志中有该文件的完整路径。",
    ),
    "signin.store_unavailable": (
        "Sign-in is unavailable: the operational store's database server cannot be reached. An "
        "administrator must check that it is running and that MAMS_OPS_URL names it; the server "
        "log says what failed. Try again in a minute.",
        "暂时无法登录：无法连接运营库的数据库服务器。请管理员检查服务器是否在运行、MAMS_OPS_URL "
        "是否正确；服务器日志中有失败原因。请稍后重试。",
    ),
    "jobs.unavailable": (
        "Background jobs are unavailable: the job folder cannot be written. An administrator "
        "must make it writable (owner, permissions, free disk space) and restart the app; the "
        "server log names the folder.",
        "后台任务暂不可用：任务文件夹无法写入。请管理员使其可写（属主、权限、磁盘空间）后重启应用；"
        "服务器日志中有该文件夹的路径。",
    ),
}

MESSAGES: dict[str, dict[str, str]] = {key: {"en": en, "zh": zh} for key, (en, zh) in _TEXTS.items()}
