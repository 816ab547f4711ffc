"""What the pages say, in Chinese, when something cannot be done.

Domain errors are named by their stable ``code`` (the API's problem details keep their
English titles); validation errors by pydantic's error type. A page may pass messages of
its own per field (e.g. the format of a region code) — see ``forms.reject``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_core import ErrorDetails

from techmarket.errors import DomainError

DOMAIN: dict[str, str] = {
    # accounts
    "not_authenticated": "请登录后继续。",
    "invalid_token": "登录已失效，请重新登录。",
    "invalid_credentials": "邮箱或密码不正确。",
    "rate_limited": "尝试次数过多，请 {retry_after} 秒后再试。",
    "already_registered": "已经注册过了。",
    "org_not_found": "未找到该机构。",
    "user_not_found": "未找到该用户。",
    "last_admin": "机构至少需要一位在职的管理员。",
    "invalid_status_transition": "当前状态下不能进行此操作。",
    # authorisation (accounts.policy)
    "forbidden": "您无权进行此操作。",
    "org_not_verified": "您的机构尚未通过认证，暂不能进行此操作。",
    "operator_only": "只有平台运营方可以进行此操作。",
    "not_your_org": "不是您的机构：只有所属机构的成员可以进行此操作。",
    "missing_role": "您的角色不能进行此操作。",
    "metrics_not_allowed": "此地址不能读取运行指标。",
    "wrong_org_kind": "您所属的机构类型不能进行此操作。",
    "csrf_rejected": "表单已失效（可能已在其他窗口登录或退出）。请返回、刷新页面后重新提交。",
    # e-mail and webhooks (delivery)
    "webhook_not_found": "未找到该 Webhook 地址。",
    "webhook_url_refused": "不能向此地址发送 Webhook：只能是公网上的 http:// 或 https:// 地址。",
    "unsubscribe_link_invalid": "退订链接无效，请使用邮件中的原始链接。",
    # listings
    "achievement_not_found": "未找到该科技成果。",
    "not_editable": "只有草稿、被退回或已撤回的成果可以修改。",
    "demand_not_found": "未找到该企业需求。",
    "subscription_not_found": "未找到该订阅。",
    "invalid_subscription": "该订阅的条件无法匹配任何内容。",
    "response_not_found": "未找到该揭榜方案。",
    "demand_not_open": "该需求当前不接受揭榜。",
    "deadline_passed": "截止日期必须晚于现在。",
    "invalid_achievement": "修改后的成果信息不符合要求。",
    "invalid_demand": "修改后的需求信息不符合要求。",
    "foreign_achievement": "只能关联本机构已发布的成果。",
    "unreadable_upload": "文件无法读取，请上传 CSV 或 XLSX 文件。",
    "import_rejected": "部分行有错误，未导入任何数据。",
    "import_too_large": "文件过大，无法导入。",
    "form_rejected": "表单有误，请检查后重新提交。",
    "invalid_cursor": "翻页链接已失效，请从第一页重新浏览。",
    # trading
    "trade_not_found": "未找到该交易。",
    "not_open": "该交易当前未开放。",
    "own_trade": "卖方机构不能参与自己的交易。",
    "registration_closed": "报名已截止。",
    "relist_too_low": "重新挂牌的起始价最多比流拍价低 20%。",
    "not_published": "只有已发布的成果可以交易。",
    "ends_in_past": "交易的结束时间必须晚于现在。",
    "not_pending_approval": "该交易不在待审批状态。",
    "invalid_buyer": "买方须为已认证、可参与交易的其他机构。",
    "response_not_accepted": "只有被采纳的揭榜方案才能发起交易。",
    "response_without_achievement": "该揭榜方案没有关联可交易的成果。",
    "no_offer_to_accept": "对方尚未报价，没有可接受的报价。",
    "own_offer": "不能接受本机构自己的报价。",
    "objection_ruled": "该异议已经处理过了。",
    "contract_recorded": "该成交项目的合同已经登记过了。",
    "contract_registered": "该合同已经完成认定登记。",
    "not_negotiating": "该交易不在议价阶段。",
    "wrong_mode": "竞价交易请报名竞买，挂牌交易请登记受让意向。",
    "not_withdrawable": "已有出价、意向或接受的报价，交易不能再撤回。",
    "not_on_notice": "该交易不在公示期内。",
    "party_cannot_compete": "交易双方不能提交竞争报价。",
    "competing_offer_too_low": "竞争报价必须高于公示的成交价。",
    "already_competing": "您的机构已经对该公示提交过竞争报价。",
    "objection_not_found": "未找到该异议。",
    "not_a_deal": "只有已成交的交易才有合同。",
    "contract_not_found": "尚未登记合同。",
    "deal_not_found": "未找到该成交项目。",
    "too_low": "出价过低。",
    "not_registered": "请先报名并缴纳保证金。",
    "closed": "竞价已结束。",
    "going_away": "服务正在重启，这次出价没有提交，请再提交一次。",
    "invalid": "出价无效。",
    "unauthorized": "登录已失效，请重新登录后再出价。",
    "large_jump": "出价远高于当前价，请确认后再提交。",
    # payments received (trading.payments)
    "contract_not_registered": "合同认定登记后才能登记到账。",
    "not_a_contract_party": "只有合同双方可以登记和确认到账。",
    "payment_not_positive": "到账金额必须大于零。",
    "own_payment": "到账由对方确认，登记方不能确认自己登记的到账。",
    "payment_confirmed": "这笔到账已经确认过了。",
    "payment_not_found": "未找到这笔到账。",
    # service agencies
    "agency_not_found": "未找到该服务机构。",
    "invalid_agency_profile": "服务类别或服务地区有误。",
    # proof of concept
    "poc_centre_not_found": "未找到该概念验证中心（须经平台认证）。",
    "poc_project_not_found": "未找到该概念验证项目。",
    "notification_not_found": "未找到该通知。",
    "poc_milestone_not_found": "该项目没有这个里程碑。",
    "poc_achievement_not_public": "只有已发布的成果可以申请概念验证。",
    "poc_already_open": "该成果已有进行中的概念验证项目。",
    "poc_not_applied": "该项目已经遴选过了。",
    "poc_not_accepted": "验证计划在项目入选后确定，且只确定一次。",
    "poc_plan_empty": "验证计划至少需要一个里程碑。",
    "poc_unknown_line": "资助须来自本中心公布的资金渠道。",
    "poc_not_active": "项目不在验证阶段，不能进行此操作。",
    "poc_milestone_judged": "该里程碑已有结论。",
    "poc_closed": "项目已经结题。",
    "poc_milestones_unmet": "所有里程碑均达成后，项目才能验证通过。",
    "poc_trl_change": "只有验证通过的项目可以提高技术成熟度，且不能降低。",
    # express licences (一键许可)
    "express_already_offered": "该成果已有一键许可在许可中或待审批。",
    "not_express_licence": "未找到该一键许可。",
    "express_not_offered": "该一键许可尚未开放（待成果转化办公室批准）或未在许可中。",
    "express_stopped": "许可方已停止该一键许可。",
    "express_taken_already": "贵机构已取得该一键许可，每家企业只能取得一次。",
    # ledger
    "ledger_entry_not_found": "账本中没有这一条记录。",
    "ledger_tile_not_found": "账本中没有这一块（路径不对，或账本尚未长到这里）。",
    "invalid_tree_size": "账本大小超出范围。",
    "invalid_proof_range": "证明的区间超出范围。",
    # brokers and mandates
    "no_mandate": "您不是该委托受托机构的技术经纪人，不能代客户操作。",
    "mandate_not_accepted": "委托尚未被受托机构接受。",
    "mandate_revoked": "委托已被撤销，不能再代客户操作。",
    "mandate_not_yet_valid": "委托尚未生效。",
    "mandate_expired": "委托已过期。",
    "outside_mandate_object": "委托不包括这项需求、成果或交易。",
    "outside_mandate_scope": "委托范围不包括此项操作。",
    "broker_not_found": "未找到该技术经纪人。",
    "contribution_not_found": "未找到该成交贡献。",
    "mandate_not_found": "未找到该委托。",
    "contribution_rated": "已评价过这笔成交贡献。",
    "mandate_closed": "委托已撤销。",
    "mandate_not_offered": "只有待接受且未过期的委托可以接受。",
    "invalid_mandate": "委托的受托机构、对象或有效期不正确。",
}

_BY_STATUS = {
    401: "请登录后继续。",
    403: "您无权进行此操作。",
    404: "未找到您要的内容。",
    409: "当前状态下不能进行此操作。",
    422: "提交的内容有误。",
    429: "操作过于频繁，请稍后再试。",
}


def _fill(template: str, values: Mapping[str, Any]) -> str:
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError):
        return template


def domain(exc: DomainError) -> str:
    """The Chinese message for a domain error (by code, else by status)."""
    template = DOMAIN.get(exc.code) or _BY_STATUS.get(exc.status, "请求无法处理。")
    return _fill(template, exc.extra)


VALIDATION: dict[str, str] = {
    "missing": "请填写此项。",
    "string_too_short": "至少需要 {min_length} 个字符。",
    "string_too_long": "不能超过 {max_length} 个字符。",
    "string_pattern_mismatch": "格式不正确。",
    "string_type": "请填写文字。",
    "int_parsing": "请填写整数。",
    "int_type": "请填写整数。",
    "int_from_float": "请填写整数。",
    "float_parsing": "请填写数字。",
    "decimal_parsing": "请填写数字。",
    "decimal_max_places": "最多两位小数（分）。",
    "decimal_max_digits": "数额过大。",
    "greater_than": "必须大于 {gt}。",
    "greater_than_equal": "不能小于 {ge}。",
    "less_than": "必须小于 {lt}。",
    "less_than_equal": "不能大于 {le}。",
    "too_short": "至少选择 {min_length} 项。",
    "too_long": "最多选择 {max_length} 项。",
    "enum": "请从列表中选择。",
    "literal_error": "请从列表中选择。",
    "bool_parsing": "请选择是或否。",
    "date_parsing": "日期格式不正确（例如 2026-12-31）。",
    "date_from_datetime_parsing": "日期格式不正确（例如 2026-12-31）。",
    "datetime_parsing": "时间格式不正确（例如 2026-12-31 18:00）。",
    "datetime_from_date_parsing": "时间格式不正确（例如 2026-12-31 18:00）。",
    "timezone_aware": "时间须带时区。",
    "url_parsing": "网址格式不正确。",
    "value_error": "格式不正确。",
    "assertion_error": "格式不正确。",
    "yuan_parsing": "请填写金额（元），最多两位小数，例如 12000 或 12000.50。",
}


def validation(error: ErrorDetails) -> str:
    """The Chinese message for one pydantic error."""
    if error["type"] == "value_error" and "email" in error["msg"].lower():
        return "邮箱格式不正确。"
    kind = error["type"]
    if kind in ("too_short", "too_long") and isinstance(error.get("input"), str):
        kind = f"string_{kind}"  # a length checked after the text's own validator (types.Line)
    template = VALIDATION.get(kind, "格式不正确。")
    return _fill(template, error.get("ctx") or {})
