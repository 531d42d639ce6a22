"""Interface texts in Chinese (first) and English."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from yangfan.catalog import Indicator, Target
from yangfan.catalog.models import HORIZON_DEADLINE, PLATFORM_READING
from yangfan.geo.orgunits import OrgUnit
from yangfan.web.evaluation_texts import EVALUATION_TEXTS
from yangfan.web.registry_texts import REGISTRY_TEXTS

Lang = Literal["zh", "en"]

TEXTS: dict[str, dict[Lang, str]] = {
    "site": {"zh": "扬帆 · 5G规模化应用监测平台", "en": "Yangfan · 5G Scale-Application Monitoring"},
    "cockpit": {"zh": "驾驶舱", "en": "Cockpit"},
    "plan_2024": {"zh": "5G规模化应用“扬帆”行动升级方案（2024—2027年）目标进度",
                  "en": "Targets of the 5G Scale Application \"Sailing\" Upgrade Plan (2024–2027)"},
    "plan_ended": {"zh": "已结束规划的完成情况", "en": "How the earlier plans ended"},
    "real_data": {"zh": "本页数据为工业和信息化部、国家统计局公开发布的真实数据（经媒体转载收集，附来源链接）；"
                        "合成的演示数据一律标注“演示数据”，当前页面不含演示数据。",
                  "en": "Figures on this page are real data published by MIIT and NBS (collected from "
                        "re-publications, each with its source link). Synthetic demo data is always marked "
                        "“演示数据”; this page contains none."},
    "real_data_with_demo": {
        "zh": "全国数值来自工业和信息化部、国家统计局公开发布的真实数据；标注“演示数据”的数值由演示填报"
              "（合成的省级报表）或演示名录记录汇总计算，不是统计数据。",
        "en": "National figures are real data published by MIIT and NBS; figures marked “演示数据” are "
              "summed from the demo's synthetic provincial returns or counted from demo registry records, and "
              "are not statistics."},
    "as_of": {"zh": "数据截至", "en": "Data as of"},
    "build": {"zh": "分析数据版本", "en": "Analytics build"},
    "build_as_of": {"zh": "含截至以下时间审核的数据", "en": "includes data approved up to"},
    "build_new": {"zh": "已有更新的数据：刷新本页即可查看。",
                  "en": "Newer figures are available: reload this page to see them."},
    "build_reload": {"zh": "刷新", "en": "Reload"},
    "code": {"zh": "编号", "en": "Code"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "target": {"zh": "目标", "en": "Target"},
    "latest": {"zh": "最新值", "en": "Latest"},
    "progress": {"zh": "进度", "en": "Progress"},
    "trend": {"zh": "趋势", "en": "Trend"},
    "status": {"zh": "状态", "en": "Status"},
    "deadline": {"zh": "期限", "en": "Deadline"},
    "source": {"zh": "来源", "en": "Source"},
    "notes": {"zh": "说明", "en": "Notes"},
    "at_deadline": {"zh": "截止期数值", "en": "At deadline"},
    "met_at": {"zh": "首次达成", "en": "First met"},
    "no_deadline": {"zh": "未设期限", "en": "no deadline"},
    "lower_bound": {"zh": "下限", "en": "floor"},
    "switch": {"zh": "English", "en": "中文"},
    "tracked": {"zh": "跟踪监测，无数值目标", "en": "tracked, no numeric target"},
    "legend": {"zh": "状态说明：已达成；按期（近12个月增速不低于所需增速）；滞后（达所需增速的60%以上）；"
                     "严重滞后；数据不足（最新值已滞后一年以上或缺少比较值）；无数据。",
               "en": "Status: met; on track (pace of the last 12 months at least the pace required); behind "
                     "(at least 60% of it); far behind; not enough data (latest value a year old or no "
                     "comparison value); no data."},
    "indicators": {"zh": "指标", "en": "Indicators"},
    "map": {"zh": "地图", "en": "Map"},
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出", "en": "Log out"},
    "audit": {"zh": "审计日志", "en": "Audit log"},
    "username": {"zh": "用户名", "en": "Username"},
    "password": {"zh": "密码", "en": "Password"},
    "all_sections": {"zh": "全部条款", "en": "All sections"},
    "section": {"zh": "条款", "en": "Section"},
    "demo_banner": {"zh": "本页含演示数据：省、市数值由公开发布的全国和地区总量按人口及随机权重分摊生成，"
                          "不是统计数据，标有“演示数据”。全国和地区数值为真实公开数据。",
                    "en": "This page contains demo data (演示数据): provincial and city values are published "
                          "national and regional totals apportioned by population and random weights, not "
                          "statistics. National and regional values are real published figures."},
    "demo": {"zh": "演示数据", "en": "demo data"},
    "registry_count": {"zh": "名录登记", "en": "registry count"},
    "records_behind": {"zh": "查看计数所依据的名录记录", "en": "the registry records behind this count"},
    "headline_minus_registry": {"zh": "公布数 − 名录数 =", "en": "published − registry ="},
    "quality": {"zh": "质量提示", "en": "Quality note"},
    "lineage": {"zh": "溯源", "en": "Lineage"},
    "restated": {"zh": "按新口径重述", "en": "restated on the new coverage"},
    "coverage_change": {"zh": "口径调整", "en": "coverage change"},
    "coverage": {"zh": "统计口径", "en": "Coverage"},
    "lineage_intro": {"zh": "该数值由以下输入计算；汇总值展开到其组成部分，每个报送值列出给出该数值的全部来源，"
                            "以及给出其他数值的来源（未采用）。",
                      "en": "This figure is computed from the inputs below; sums open into their parts, and every "
                            "reported value lists all sources that give it, then the sources that give another value "
                            "(not used)."},
    "origin": {"zh": "来源方式", "en": "Origin"},
    "alternatives": {"zh": "其他来源（未采用）", "en": "Other sources (not used)"},
    "demo_export": {"zh": "演示数据：本文件含由公开总量分摊生成的省、市演示数值，不是统计数据。",
                    "en": "Demo data (演示数据): this file contains provincial and city values apportioned from "
                          "published totals; they are not statistics."},
    "definition": {"zh": "定义", "en": "Definition"},
    "formula": {"zh": "计算方法", "en": "Formula"},
    "unit": {"zh": "单位", "en": "Unit"},
    "clause": {"zh": "规划条款", "en": "Clause of the plan"},
    "org_unit": {"zh": "地区", "en": "Area"},
    "period": {"zh": "期间", "en": "Period"},
    "value": {"zh": "数值", "en": "Value"},
    "flags": {"zh": "标记", "en": "Flags"},
    "approval": {"zh": "状态 · 录入人", "en": "Status · entered by"},
    "month": {"zh": "月度", "en": "Monthly"},
    "quarter": {"zh": "季度", "en": "Quarterly"},
    "year": {"zh": "年度", "en": "Annual"},
    "download": {"zh": "下载", "en": "Download"},
    "no_data": {"zh": "暂无数据", "en": "No data"},
    "national": {"zh": "全国", "en": "National"},
    "rank": {"zh": "排名", "en": "Rank"},
    "relative": {"zh": "与全国之比", "en": "Relative to national"},
    "children": {"zh": "下级地区", "en": "Areas below"},
    "vs_national_targets": {"zh": "按全国目标衡量本地区进度",
                            "en": "Progress of this area measured against the national targets"},
    "show_map": {"zh": "地图", "en": "map"},
    "back_to_nation": {"zh": "返回全国", "en": "Back to China"},
    "drill_hint": {"zh": "点击省份查看其地市", "en": "Click a province to see its cities"},
    "table_alt": {"zh": "数据表（地图的文字版）", "en": "Table (text version of the map)"},
    "apply": {"zh": "查询", "en": "Apply"},
    "actor": {"zh": "操作人", "en": "Actor"},
    "action": {"zh": "操作", "en": "Action"},
    "entity": {"zh": "对象", "en": "Entity"},
    "since": {"zh": "起始日期", "en": "From"},
    "until": {"zh": "截止日期", "en": "To"},
    "time": {"zh": "时间", "en": "Time"},
    "before": {"zh": "变更前", "en": "Before"},
    "after": {"zh": "变更后", "en": "After"},
    "chain_ok": {"zh": "哈希链完整", "en": "Hash chain intact"},
    "chain_broken": {"zh": "哈希链断裂，首个异常条目", "en": "Hash chain broken at entry"},
    "entries": {"zh": "条记录", "en": "entries"},
    "all": {"zh": "全部", "en": "All"},
    "error": {"zh": "出错了", "en": "Error"},
    "home": {"zh": "返回驾驶舱", "en": "Back to the cockpit"},
    "login_failed": {"zh": "登录失败", "en": "Login failed"},
    "logged_in_as": {"zh": "当前用户", "en": "Signed in as"},
    "target_line": {"zh": "目标", "en": "Target"},
    "review": {"zh": "审核", "en": "Review"},
    "review_intro": {"zh": "本单位（或本运营商）待审核、待发布的数据。审核通过的数据进入分析，发布后公众可见。",
                     "en": "Values of your unit (or operator) awaiting review or publication. Approved values enter "
                           "the analytics; published ones are public."},
    "approve": {"zh": "审核通过", "en": "Approve"},
    "return": {"zh": "退回", "en": "Return"},
    "publish": {"zh": "发布", "en": "Publish"},
    "nothing_pending": {"zh": "没有待处理的数据", "en": "Nothing awaits review"},
    "review_note": {"zh": "审核意见", "en": "Note"},
    "status_submitted": {"zh": "待审核", "en": "submitted"},
    "status_approved": {"zh": "已审核，待发布", "en": "approved, not yet published"},
    # Review of returns (报表审核) and the completeness of reporting (报送情况).
    "nav_returns": {"zh": "报表审核", "en": "Returns"},
    "nav_completeness": {"zh": "报送情况", "en": "Completeness"},
    "rv_title": {"zh": "报表审核", "en": "Review of returns"},
    "rv_intro": {"zh": "您审核范围内的报表（省级审核人员：本省；部级：全部）。打开一份报表可查看各项数值"
                       "与上期、上年同期的比较、审核公式提示和填报说明；勾选多份可批量操作，"
                       "每份逐一执行并显示结果。",
                 "en": "Returns within your review scope (provincial reviewers: your province; the ministry: all). "
                       "Open one to see each figure against the period before and the year before, the rule checks "
                       "and the reporter's explanations; tick several for a bulk action: each is done on its own and "
                       "its result shown."},
    "rv_tab_submitted": {"zh": "待审核", "en": "To review"},
    "rv_tab_approved": {"zh": "已审核待接收", "en": "Approved, to accept"},
    "rv_tab_accepted": {"zh": "已接收待发布", "en": "Accepted, to publish"},
    "rv_tab_returned": {"zh": "已退回", "en": "Returned"},
    "rv_form": {"zh": "报表", "en": "Form"},
    "rv_all_forms": {"zh": "全部报表", "en": "All forms"},
    "rv_all_periods": {"zh": "全部期间", "en": "All periods"},
    "rv_reporter": {"zh": "报送单位", "en": "Reporting unit"},
    "rv_round": {"zh": "轮次", "en": "Round"},
    "rv_submitted_at": {"zh": "首次提交", "en": "First submitted"},
    "rv_timeliness": {"zh": "及时性", "en": "Timeliness"},
    "rv_tl_on_time": {"zh": "按时", "en": "on time"},
    "rv_tl_late": {"zh": "逾期", "en": "late"},
    "rv_tl_missing": {"zh": "缺报", "en": "missing"},
    "rv_tl_open": {"zh": "未到期", "en": "not yet due"},
    "rv_open": {"zh": "审核", "en": "Open"},
    "rv_none": {"zh": "没有符合条件的报表", "en": "No returns match"},
    "rv_bulk_approve": {"zh": "批量审核通过", "en": "Approve the ticked returns"},
    "rv_bulk_accept": {"zh": "批量接收", "en": "Accept the ticked returns"},
    "rv_bulk_publish": {"zh": "批量发布", "en": "Publish the ticked returns"},
    "rv_bulk_none": {"zh": "请先勾选报表", "en": "Tick at least one return first"},
    "rv_ask_bulk": {"zh": "对以下 {n} 份报表执行“{action}”？每份报表单独执行，结果逐一显示。",
                    "en": "{action}: the following {n} return(s)? Each is done on its own and its result shown."},
    "rv_bulk_done": {"zh": "已完成：成功 {ok} 份，未执行 {failed} 份。",
                     "en": "Done: {ok} succeeded, {failed} not done."},
    "rv_reload": {"zh": "刷新列表", "en": "Reload the list"},
    "rv_working": {"zh": "正在执行…", "en": "Working…"},
    "rv_more": {"zh": "（同类 {n} 处）", "en": " ({n} alike)"},
    "rv_entered": {"zh": "首次填入 {n} 项", "en": "{n} items entered"},
    "rv_back": {"zh": "返回报表审核", "en": "Back to the returns"},
    "rv_current_message": {"zh": "给填报人的说明", "en": "Message to the reporter"},
    "rv_items": {"zh": "报表数值", "en": "Figures"},
    "rv_tick_hint": {"zh": "退回或解锁更正时，请勾选涉及的指标：填报人会在填报页看到这些单元格被标记。"
                           "数值为填报人录入的原始数值（基本单位）。",
                     "en": "For a return or an unlock, tick the items concerned: the reporter sees those cells "
                           "flagged. Figures are as the reporter entered them (base units)."},
    "rv_tick": {"zh": "勾选", "en": "Tick"},
    "rv_previous": {"zh": "上期", "en": "Period before"},
    "rv_change": {"zh": "环比", "en": "Change"},
    "rv_year_before": {"zh": "上年同期", "en": "Year before"},
    "rv_yoy": {"zh": "同比", "en": "YoY"},
    "rv_checks": {"zh": "审核公式", "en": "Rule checks"},
    "rv_explanation": {"zh": "填报说明", "en": "Explanation"},
    "rv_flagged": {"zh": "已标记", "en": "flagged"},
    "rv_unlocked": {"zh": "已解锁", "en": "unlocked"},
    "rv_severity_hard": {"zh": "强制", "en": "blocks"},
    "rv_severity_soft": {"zh": "需说明", "en": "needs explanation"},
    "rv_explained": {"zh": "已说明", "en": "explained"},
    "rv_no_problems": {"zh": "未发现问题", "en": "no problem found"},
    "rv_message": {"zh": "审核意见（退回、解锁更正时必填，填报人可见）",
                   "en": "Message (required to return or unlock; the reporter reads it)"},
    "rv_message_required": {"zh": "退回或解锁更正须填写说明，告诉填报人要改什么",
                            "en": "A return or an unlock needs a message telling the reporter what to change"},
    "rv_cells_required": {"zh": "解锁更正须勾选要更正的指标", "en": "Tick the items to unlock for correction"},
    "rv_ask_step": {"zh": "{action}：{what}？", "en": "{action}: {what}?"},
    "rv_ask_message": {"zh": "说明", "en": "Message"},
    "rv_ask_cells": {"zh": "涉及指标", "en": "Items"},
    "rv_result_ok": {"zh": "已{action}：报表现为“{state}”。", "en": "{action}: done. The return is now '{state}'."},
    "rv_no_actions": {"zh": "当前状态下您没有可执行的操作", "en": "Nothing for you to do in this state"},
    "rv_rounds": {"zh": "各次提交对比", "en": "Submissions compared"},
    "rv_submission_n": {"zh": "第 {n} 次提交", "en": "Submission {n}"},
    "rv_history": {"zh": "处理记录", "en": "History"},
    "rv_message_col": {"zh": "说明", "en": "Message"},
    "rv_cells_col": {"zh": "单元格（原值 → 新值）", "en": "Cells (old → new)"},
    "rv_step_save": {"zh": "保存草稿", "en": "Saved a draft"},
    "rv_step_submit": {"zh": "提交", "en": "Submit"},
    "rv_step_withdraw": {"zh": "撤回", "en": "Withdraw"},
    "rv_step_approve": {"zh": "审核通过", "en": "Approve"},
    "rv_step_return": {"zh": "退回", "en": "Return"},
    "rv_step_accept": {"zh": "接收", "en": "Accept"},
    "rv_step_publish": {"zh": "发布", "en": "Publish"},
    "rv_step_unlock": {"zh": "解锁更正", "en": "Unlock for correction"},
    "rv_state_new": {"zh": "新建", "en": "new"},
    "rv_state_not_started": {"zh": "未填报", "en": "not started"},
    "rv_state_draft": {"zh": "草稿", "en": "draft"},
    "rv_state_submitted": {"zh": "已提交，待审核", "en": "submitted, to review"},
    "rv_state_returned": {"zh": "已退回，待修改", "en": "returned, to correct"},
    "rv_state_approved": {"zh": "省级已审核", "en": "approved by the province"},
    "rv_state_accepted": {"zh": "部级已接收", "en": "accepted by the ministry"},
    "rv_state_published": {"zh": "已发布", "en": "published"},
    "cp_title": {"zh": "报送情况：完整性与及时性", "en": "Reporting: completeness and timeliness"},
    "cp_intro": {"zh": "截至 {today}。应报：截止日已过的报表；按时：截止日（含）前首次提交；逾期：截止日后提交；"
                       "缺报：截止日已过仍未提交；未到期的报表不计入应报。报送率 = 已报 ÷ 应报，及时率 = 按时 ÷ 应报。",
                 "en": "As of {today}. Due: returns whose deadline has passed; on time: first submitted by the "
                       "deadline (inclusive); late: after it; missing: due and never submitted; returns not yet due "
                       "are not counted as due. Reporting rate = received ÷ due; timeliness rate = on time ÷ due."},
    "cp_scoped": {"zh": "仅显示本省的报表。", "en": "Your province's returns only."},
    "cp_expected": {"zh": "应报", "en": "Due"},
    "cp_received": {"zh": "已报", "en": "Received"},
    "cp_on_time": {"zh": "按时", "en": "On time"},
    "cp_late": {"zh": "逾期", "en": "Late"},
    "cp_missing": {"zh": "缺报", "en": "Missing"},
    "cp_open": {"zh": "未到期", "en": "Not yet due"},
    "cp_reporting_rate": {"zh": "报送率", "en": "Reporting rate"},
    "cp_timeliness_rate": {"zh": "及时率", "en": "Timeliness rate"},
    "cp_by_form_period": {"zh": "按报表和期间", "en": "By form and period"},
    "cp_by_province": {"zh": "分地区报送情况", "en": "By area"},
    "cp_ranked_among": {"zh": "排名按报送率、及时率，仅在已报的 {n} 个地区中排列",
                        "en": "ranked by reporting then timeliness rate among the {n} areas that reported"},
    "cp_rank_of": {"zh": "第 {rank} / 已报 {n} 个省", "en": "{rank} of {n} that reported"},
    "cp_not_ranked": {"zh": "未报", "en": "none received"},
    "cp_own_unit": {"zh": "本单位", "en": "Own return"},
    "cp_map_caption": {"zh": "各省报送率", "en": "Reporting rate by province"},
    "cp_map_legend": {"zh": "颜色表示报送率（已报 ÷ 应报）；灰色：尚无到期报表。",
                      "en": "Colour: reporting rate (received ÷ due); grey: no return due yet."},
    "cp_no_due": {"zh": "尚无到期报表", "en": "no return due yet"},
    "cp_panel": {"zh": "报送情况", "en": "Reporting"},
    "cp_panel_national": {"zh": "全国", "en": "national"},
    "cp_panel_more": {"zh": "查看报送情况", "en": "See completeness"},
    "cp_panel_note": {"zh": "（报送率为已审核、未发布的统计，仅部级可见）",
                      "en": "(approved, not published: shown to the ministry only)"},
    # Statistical reporting (填报): the reporter's obligations, calendar, entry grid and upload pages.
    "rp_nav": {"zh": "填报", "en": "Reporting"},
    "rp_title": {"zh": "我的填报", "en": "My returns"},
    "rp_intro": {"zh": "你负责报送的报表：每一份是“报表 × 地区 × 报送单位 × 期间”，按截止日期从新到旧排列。"
                       "红色为已逾期，琥珀色为临近截止。",
                 "en": "The returns you report: each is form × area × reporting unit × period, newest deadline "
                       "first. Red: overdue; amber: due soon."},
    "rp_no_role": {"zh": "你的账户没有填报角色（省级填报人员、运营商填报人员或部级分析人员），没有需要报送的报表。"
                         "如需填报，请联系管理员授予填报角色。",
                   "en": "Your account holds no reporting role (provincial reporter, operator reporter or ministry "
                         "analyst), so you owe no returns. Ask an administrator for a reporting role if you "
                         "should report."},
    "rp_no_role_review": {"zh": "待你审核的数据在“审核”页。", "en": "What awaits your review is on the Review page."},
    "rp_empty": {"zh": "没有符合条件的报表。每期报表在期末后的次月初开放填报；各报表的开放和截止日期见“填报日历”。",
                 "en": "No return matches. Each period's return opens early in the month after the period ends; "
                       "the reporting calendar shows when each form opens and is due."},
    "rp_count_todo": {"zh": "待填报", "en": "To fill"},
    "rp_count_returned": {"zh": "已退回", "en": "Returned"},
    "rp_count_overdue": {"zh": "逾期", "en": "Overdue"},
    "rp_count_submitted": {"zh": "已提交", "en": "Submitted"},
    "rp_form": {"zh": "报表", "en": "Form"},
    "rp_reporter": {"zh": "报送单位", "en": "Reporting unit"},
    "rp_own_unit": {"zh": "本单位", "en": "the unit itself"},
    "rp_deadline": {"zh": "截止日期", "en": "Deadline"},
    "rp_days": {"zh": "剩余时间", "en": "Time left"},
    "rp_days_left": {"zh": "还剩 {n} 天", "en": "{n} days left"},
    "rp_due_today": {"zh": "今天截止", "en": "due today"},
    "rp_days_overdue": {"zh": "逾期 {n} 天", "en": "{n} days overdue"},
    "rp_due_soon": {"zh": "临近截止", "en": "due soon"},
    "rp_on_time": {"zh": "按时提交", "en": "on time"},
    "rp_late": {"zh": "逾期提交", "en": "late"},
    "rp_fill": {"zh": "填报", "en": "Fill in"},
    "rp_fix": {"zh": "去修改", "en": "Fix it"},
    "rp_view": {"zh": "查看", "en": "View"},
    "rp_returned_title": {"zh": "被退回的报表", "en": "Returned to you"},
    "rp_returned_intro": {"zh": "审核人退回了以下报表：请按审核意见修改后重新提交。",
                          "en": "A reviewer sent these returns back: change them as the message says and submit "
                                "again."},
    "rp_reviewer_says": {"zh": "审核意见", "en": "Reviewer's message"},
    "rp_all_forms": {"zh": "全部报表", "en": "All forms"},
    "rp_all_states": {"zh": "全部状态", "en": "All states"},
    "rp_all_periods": {"zh": "全部期间", "en": "All periods"},
    "rp_all_units": {"zh": "全部地区", "en": "All areas"},
    "rp_calendar": {"zh": "填报日历", "en": "Reporting calendar"},
    "rp_upload": {"zh": "上传文件", "en": "Upload a file"},
    "rp_page_of": {"zh": "第 {page}/{pages} 页，共 {total} 份", "en": "page {page} of {pages}, {total} returns"},
    "rp_prev_page": {"zh": "上一页", "en": "Previous"},
    "rp_next_page": {"zh": "下一页", "en": "Next"},
    "rp_state_not_started": {"zh": "未填报", "en": "not started"},
    "rp_state_draft": {"zh": "草稿", "en": "draft"},
    "rp_state_submitted": {"zh": "已提交，待审核", "en": "submitted, awaiting review"},
    "rp_state_returned": {"zh": "已退回，待修改", "en": "returned for changes"},
    "rp_state_approved": {"zh": "省级已审核", "en": "approved (province)"},
    "rp_state_accepted": {"zh": "部级已接收", "en": "accepted (ministry)"},
    "rp_state_published": {"zh": "已发布", "en": "published"},
    "rp_state_overdue": {"zh": "已逾期", "en": "overdue"},
    "rp_step_save": {"zh": "保存草稿", "en": "saved a draft"},
    "rp_step_submit": {"zh": "提交", "en": "submitted"},
    "rp_step_withdraw": {"zh": "撤回", "en": "withdrew"},
    "rp_step_return": {"zh": "退回", "en": "returned"},
    "rp_step_approve": {"zh": "审核通过", "en": "approved"},
    "rp_step_accept": {"zh": "接收", "en": "accepted"},
    "rp_step_publish": {"zh": "发布", "en": "published"},
    "rp_step_unlock": {"zh": "解锁更正", "en": "unlocked for correction"},
    "rp_cal_intro": {"zh": "各报表的开放和截止日期；你尚未提交的报表份数标在截止日上，红色为已逾期。",
                     "en": "When each form opens and is due; the number of your returns not yet submitted stands "
                           "on the deadline, red when overdue."},
    "rp_cal_prev": {"zh": "‹ 上个月", "en": "‹ Previous month"},
    "rp_cal_next": {"zh": "下个月 ›", "en": "Next month ›"},
    "rp_cal_this": {"zh": "本月", "en": "This month"},
    "rp_cal_grid": {"zh": "月历", "en": "Month view"},
    "rp_cal_list": {"zh": "列表", "en": "List"},
    "rp_weekdays": {"zh": "一 二 三 四 五 六 日", "en": "Mon Tue Wed Thu Fri Sat Sun"},
    "rp_month_title": {"zh": "{year}年{month}月", "en": "{month_en} {year}"},
    "rp_cal_deadline": {"zh": "截止", "en": "due"},
    "rp_cal_opens": {"zh": "开始填报", "en": "opens"},
    "rp_cal_open_n": {"zh": "未报 {n} 份", "en": "{n} open"},
    "rp_cal_overdue_all": {"zh": "你有 {n} 份报表已逾期未报。", "en": "{n} of your returns are overdue."},
    "rp_cal_none": {"zh": "这两个月没有开放或截止的报表。", "en": "No form opens or is due in these two months."},
    "rp_date": {"zh": "日期", "en": "Date"},
    "rp_event": {"zh": "事项", "en": "Event"},
    "rp_mine_open": {"zh": "我的未报", "en": "Mine, open"},
    "rp_not_mine": {"zh": "（非你报送）", "en": "(not yours)"},
    "rp_entry_intro": {"zh": "按基本单位填写（例如基站填“个”，不是“万个”），可以输入 1,234 这样带千分位逗号的数字；"
                             "每项都须填写，确实为零请填 0。输入时即按审核公式检查：红色为错误，必须改正；"
                             "琥珀色为提示，须填写说明后才能提交。",
                       "en": "Enter figures in the base unit (base stations as a count, not in 万); thousands "
                             "commas such as 1,234 are fine; fill every item (0 for none). The rules check as you "
                             "type: red is an error to correct, amber a warning that needs an explanation before "
                             "you can submit."},
    "rp_round": {"zh": "第 {n} 轮", "en": "round {n}"},
    "rp_item": {"zh": "项目", "en": "Item"},
    "rp_base_unit": {"zh": "单位", "en": "Unit"},
    "rp_decimals": {"zh": "小数位", "en": "Decimals"},
    "rp_previous": {"zh": "上期", "en": "Previous period"},
    "rp_year_before": {"zh": "上年同期", "en": "A year before"},
    "rp_this_period": {"zh": "本期填报", "en": "This period"},
    "rp_change": {"zh": "变化", "en": "Change"},
    "rp_mom": {"zh": "环比", "en": "vs prev."},
    "rp_yoy": {"zh": "同比", "en": "vs year"},
    "rp_explanation": {"zh": "说明", "en": "Explanation"},
    "rp_explain_hint": {"zh": "请说明原因，例如：5G-A升级工程集中开通", "en": "Say why, e.g. a 5G-A upgrade went live"},
    "rp_locked": {"zh": "已审核，锁定", "en": "approved, locked"},
    "rp_flagged": {"zh": "审核人标记", "en": "flagged by the reviewer"},
    "rp_unlocked_note": {"zh": "审核人已解锁部分单元格供更正，其余单元格只读。",
                         "en": "The reviewer unlocked some cells for correction; the others are read-only."},
    "rp_save": {"zh": "保存草稿", "en": "Save draft"},
    "rp_submit": {"zh": "提交", "en": "Submit"},
    "rp_withdraw": {"zh": "撤回", "en": "Withdraw"},
    "rp_template": {"zh": "下载 Excel 模板", "en": "Download the Excel template"},
    "rp_go_upload": {"zh": "上传填好的文件", "en": "Upload a filled file"},
    "rp_history": {"zh": "处理记录", "en": "History"},
    "rp_message": {"zh": "意见 / 说明", "en": "Message"},
    "rp_cells": {"zh": "单元格（原值 → 新值）", "en": "Cells (old → new)"},
    "rp_no_history": {"zh": "尚无处理记录。", "en": "Nothing has happened to this return yet."},
    "rp_fullwidth": {"zh": "请使用半角数字：不要用全角数字、全角逗号或全角小数点",
                     "en": "use plain digits: no full-width digits, commas or points"},
    "rp_not_number": {"zh": "不是数字：只能包含数字、小数点、负号和千分位逗号",
                      "en": "not a number: digits, a decimal point, a minus sign and thousands commas only"},
    "rp_need_explanation": {"zh": "请填写说明后才能提交", "en": "write an explanation before you submit"},
    "rp_checking": {"zh": "正在检查…", "en": "Checking…"},
    "rp_check_ok": {"zh": "审核公式检查通过，可以提交。", "en": "The rules pass: you can submit."},
    "rp_check_blocked": {"zh": "还有 {hard} 个错误须改正、{soft} 处提示须说明，之后才能提交。",
                         "en": "{hard} error(s) to correct and {soft} warning(s) to explain before you can "
                               "submit."},
    "rp_empty_cells": {"zh": "（其中 {n} 项尚未填写）", "en": "({n} item(s) still empty)"},
    "rp_fix_format": {"zh": "请先改正标红的数字格式。", "en": "Correct the numbers marked red first."},
    "rp_saved": {"zh": "草稿已保存，尚未提交：审核人看不到草稿。填完并通过检查后，请点“提交”。",
                 "en": "Draft saved, not submitted: reviewers do not see drafts. When every item is filled and "
                       "the rules pass, press Submit."},
    "rp_submitted": {"zh": "已提交，等待审核。审核人审核通过后数据进入统计；如被退回，你会在“我的填报”页看到退回意见。"
                           "审核前你仍可撤回修改。",
                     "en": "Submitted: it awaits review. Once approved, the figures enter the statistics; if it is "
                           "returned, My returns shows the reviewer's message. Until the review you can withdraw "
                           "it."},
    "rp_withdrawn": {"zh": "已撤回，报表回到草稿：修改后请重新提交。",
                     "en": "Withdrawn: the return is a draft again. Change it and submit it again."},
    "rp_help_submitted": {"zh": "已提交，等待审核；审核前你可以撤回后修改。",
                          "en": "Submitted and awaiting review; until then you can withdraw it to change it."},
    "rp_help_locked": {"zh": "已审核通过，数据已锁定。如需更正，请联系审核人解锁相应单元格。",
                       "en": "Approved: the figures are locked. To correct one, ask the reviewer to unlock its "
                             "cell."},
    "rp_readonly": {"zh": "你可以查看此报表，但不负责填报。", "en": "You can see this return but do not fill it."},
    "rp_failed": {"zh": "未成功", "en": "Not done"},
    "rp_network": {"zh": "网络错误，请稍后重试", "en": "network error: try again"},
    "rp_upload_title": {"zh": "上传填报文件", "en": "Upload a return"},
    "rp_upload_intro": {"zh": "可以上传：① 从填报页下载的 Excel 模板，填好后原样上传，即提交该报表；② 其他 CSV 或 XLSX "
                              "数据文件（每行一个数值，表头如 indicator、org_unit、period、value，或 指标、地区代码、"
                              "期间、数值），导入后等待审核。Excel 中文版另存的 GBK 编码 CSV 也可以。"
                              "先点“检查文件”：检查不写入任何数据。",
                        "en": "Upload either ① the Excel template downloaded from the entry page, filled as it is: "
                              "it submits that return; or ② another CSV or XLSX of data values (one value per row, "
                              "headers such as indicator, org_unit, period, value, or the Chinese 指标, 地区代码, "
                              "期间, 数值): imported for review. GBK CSV files (saved by Chinese Excel) are fine. "
                              "Check the file first: checking writes nothing."},
    "rp_file": {"zh": "文件", "en": "File"},
    "rp_check_file": {"zh": "检查文件", "en": "Check the file"},
    "rp_annotated": {"zh": "下载标注问题的工作簿", "en": "Download the workbook with the problems marked"},
    "rp_upload_submit": {"zh": "提交上传", "en": "Submit the upload"},
    "rp_severity": {"zh": "类别", "en": "Severity"},
    "rp_sev_hard": {"zh": "错误", "en": "error"},
    "rp_sev_soft": {"zh": "须说明", "en": "needs explanation"},
    "rp_sev_explained": {"zh": "已说明", "en": "explained"},
    "rp_where": {"zh": "位置", "en": "Where"},
    "rp_row_col": {"zh": "第 {row} 行 {col} 列", "en": "row {row}, column {col}"},
    "rp_upload_ok": {"zh": "检查通过，没有发现问题。点“提交上传”即可提交。",
                     "en": "The file passes: no problem found. Press Submit the upload."},
    "rp_upload_ok_explained": {"zh": "检查通过：{n} 处提示已在文件中说明。点“提交上传”即可提交。",
                               "en": "The file passes: {n} warning(s) explained in the file. Press Submit the "
                                     "upload."},
    "rp_upload_blocked": {"zh": "发现 {hard} 个错误、{soft} 处未说明的提示：请在文件中改正或说明后重新检查。",
                          "en": "{hard} error(s) and {soft} unexplained warning(s): correct or explain them in the "
                                "file and check it again."},
    "rp_upload_template_done": {"zh": "已提交报表 {what}（状态：{state}），新增 {inserted} 个数值、修订 {revised} 个。",
                                "en": "Return {what} submitted (state: {state}): {inserted} value(s) added, "
                                      "{revised} revised."},
    "rp_upload_values_done": {"zh": "已导入（批次 {batch}）：新增 {inserted} 个数值、修订 {revised} 个、"
                                    "未变 {unchanged} 个；状态：{status}。",
                              "en": "Imported (batch {batch}): {inserted} value(s) added, {revised} revised, "
                                    "{unchanged} unchanged; status: {status}."},
    "rp_open_return": {"zh": "打开该报表", "en": "Open the return"},
    "rp_choose_file": {"zh": "请先选择要上传的文件", "en": "choose a file first"},
    "rp_for_return": {"zh": "对应报表", "en": "For the return"},
    "rp_annotated_done": {"zh": "已下载标注问题的工作簿：红色单元格须改正，琥珀色须说明，批注写明了原因。",
                          "en": "The workbook with the problems marked is downloaded: red cells to correct, amber "
                                "ones to explain; the comments say why."},
    # Account administration (用户管理) and the own password change.
    "users_nav": {"zh": "用户管理", "en": "Users"},
    "users_title": {"zh": "用户管理", "en": "User accounts"},
    "users_intro": {"zh": "停用或启用账户、解除登录锁定、重置密码、撤销 API 令牌、授予或撤销角色。每项操作都需先确认，"
                          "并记入审计日志；停用或重置密码会立即结束该用户的登录会话。",
                    "en": "Disable or enable accounts, lift login lockouts, reset passwords, revoke API tokens, grant "
                          "or revoke roles. Every action asks for confirmation and goes to the audit log; disabling "
                          "a user or resetting its password ends its sessions at once."},
    "display_name": {"zh": "姓名", "en": "Name"},
    "roles": {"zh": "角色", "en": "Roles"},
    "tokens": {"zh": "API 令牌", "en": "API tokens"},
    "last_login": {"zh": "最近登录", "en": "Last login"},
    "never": {"zh": "从未登录", "en": "never"},
    "actions": {"zh": "操作", "en": "Actions"},
    "state_active": {"zh": "在用", "en": "active"},
    "state_disabled": {"zh": "已停用", "en": "disabled"},
    "state_locked": {"zh": "已锁定", "en": "locked"},
    "state_must_change": {"zh": "须修改密码", "en": "must change password"},
    "act_disable": {"zh": "停用", "en": "Disable"},
    "act_enable": {"zh": "启用", "en": "Enable"},
    "act_unlock": {"zh": "解锁", "en": "Unlock"},
    "act_reset_password": {"zh": "重置密码", "en": "Reset password"},
    "act_revoke_tokens": {"zh": "撤销令牌", "en": "Revoke tokens"},
    "act_grant": {"zh": "授予角色", "en": "Grant role"},
    "act_revoke": {"zh": "撤销", "en": "Revoke"},
    "no_scope": {"zh": "—（不按组织单元）", "en": "— (not scoped)"},
    "provinces": {"zh": "省级地区", "en": "Provinces"},
    "operators": {"zh": "运营商", "en": "Operators"},
    "scope_of": {"zh": "（范围：{unit}）", "en": " (scope: {unit})"},
    "confirm_title": {"zh": "请确认", "en": "Please confirm"},
    "confirm_do": {"zh": "确认执行", "en": "Confirm"},
    "cancel": {"zh": "取消", "en": "Cancel"},
    "temp_password": {"zh": "临时密码（仅显示这一次）", "en": "Temporary password (shown this once)"},
    "ask_disable": {"zh": "停用用户“{user}”？其登录会话将立即结束，之后不能登录，"
                          "API 令牌也停止生效（重新启用后恢复）。",
                    "en": "Disable user '{user}'? Its sessions end at once; it can no longer log in and its API "
                          "tokens stop working (until it is enabled again)."},
    "ask_enable": {"zh": "启用用户“{user}”？其可以再次登录，未撤销的 API 令牌恢复生效。",
                   "en": "Enable user '{user}'? It can log in again and its unrevoked API tokens work again."},
    "ask_unlock": {"zh": "解除用户“{user}”的登录锁定？失败次数清零，其可立即再次登录。",
                   "en": "Lift the login lockout of user '{user}'? Its failure count is cleared and it can log in "
                         "again at once."},
    "ask_reset_password": {"zh": "重置用户“{user}”的密码？将生成一个临时密码（只显示一次）；其全部 API 令牌被撤销、"
                                 "登录会话结束，下次登录时须先设置新密码。",
                           "en": "Reset the password of user '{user}'? A temporary password is generated (shown "
                                 "once); all its API tokens are revoked, its sessions end, and it must set a new "
                                 "password at its next login."},
    "ask_revoke_tokens": {"zh": "撤销用户“{user}”的全部 API 令牌？使用这些令牌的程序将立即无法访问。",
                          "en": "Revoke every API token of user '{user}'? Programs using them lose access at once."},
    "ask_grant": {"zh": "授予用户“{user}”角色“{role}”{scope}？",
                  "en": "Grant user '{user}' the role '{role}'{scope}?"},
    "ask_revoke": {"zh": "撤销用户“{user}”的角色“{role}”{scope}？",
                   "en": "Revoke the role '{role}'{scope} of user '{user}'?"},
    "done_disable": {"zh": "已停用用户“{user}”，结束了 {sessions} 个登录会话。其不能再登录，API 令牌暂停生效；"
                           "如需恢复，请点“启用”。",
                     "en": "User '{user}' is disabled; {sessions} session(s) ended. It can no longer log in and its "
                           "API tokens are suspended; to restore it, use Enable."},
    "done_enable": {"zh": "已启用用户“{user}”，其可以再次登录。若其忘记了密码，请为其“重置密码”。",
                    "en": "User '{user}' is enabled and can log in again. If it forgot its password, use Reset "
                          "password."},
    "done_unlock": {"zh": "已解除用户“{user}”的锁定，请通知其重新登录。",
                    "en": "The lockout of user '{user}' is lifted: tell it to log in again."},
    "done_reset_password": {"zh": "已重置用户“{user}”的密码，撤销了 {tokens} 个 API 令牌，"
                                  "结束了 {sessions} 个登录会话。"
                                  "请通过安全渠道把下面的临时密码告知该用户（离开本页后无法再次查看）；其登录后须立即"
                                  "设置新密码。",
                            "en": "The password of user '{user}' is reset; {tokens} API token(s) revoked, {sessions} "
                                  "session(s) ended. Give the temporary password below to the user over a safe "
                                  "channel (it cannot be shown again once you leave this page); the user must set "
                                  "a new password right after logging in."},
    "done_revoke_tokens": {"zh": "已撤销用户“{user}”的 {tokens} 个 API 令牌。如其程序仍需访问，请用命令 "
                                 "yangfan user token 为其创建新令牌。",
                           "en": "{tokens} API token(s) of user '{user}' revoked. If its programs still need "
                                 "access, create a new token with yangfan user token."},
    "done_grant": {"zh": "已授予用户“{user}”角色“{role}”{scope}，其下一次请求即生效。",
                   "en": "User '{user}' now holds the role '{role}'{scope}, from its next request on."},
    "done_revoke": {"zh": "已撤销用户“{user}”的角色“{role}”{scope}，其下一次请求即生效。",
                    "en": "The role '{role}'{scope} of user '{user}' is revoked, from its next request on."},
    "same_disable": {"zh": "用户“{user}”已是停用状态，未作更改。",
                     "en": "User '{user}' was already disabled: nothing changed."},
    "same_enable": {"zh": "用户“{user}”本已在用，未作更改。",
                    "en": "User '{user}' was already active: nothing changed."},
    "same_unlock": {"zh": "用户“{user}”未被锁定，未作更改。",
                    "en": "User '{user}' was not locked: nothing changed."},
    "same_revoke_tokens": {"zh": "用户“{user}”没有有效的 API 令牌，未作更改。",
                           "en": "User '{user}' has no live API token: nothing changed."},
    "same_grant": {"zh": "用户“{user}”已有角色“{role}”{scope}，未作更改。",
                   "en": "User '{user}' already holds the role '{role}'{scope}: nothing changed."},
    "refused": {"zh": "未执行", "en": "Not done"},
    "role_administrator": {"zh": "管理员", "en": "administrator"},
    "role_ministry_analyst": {"zh": "部级分析人员", "en": "ministry analyst"},
    "role_provincial_reporter": {"zh": "省级填报人员", "en": "provincial reporter"},
    "role_provincial_reviewer": {"zh": "省级审核人员", "en": "provincial reviewer"},
    "role_operator_reporter": {"zh": "运营商填报人员", "en": "operator reporter"},
    "role_public": {"zh": "公众", "en": "public"},
    "pw_title": {"zh": "修改密码", "en": "Change password"},
    "pw_forced": {"zh": "管理员已重置你的密码。请先设置一个新密码，之后才能继续使用平台。",
                  "en": "An administrator reset your password. Set a new one before you can go on using the "
                        "platform."},
    "pw_current": {"zh": "当前密码（或临时密码）", "en": "Current (or temporary) password"},
    "pw_new": {"zh": "新密码", "en": "New password"},
    "pw_repeat": {"zh": "再次输入新密码", "en": "New password again"},
    "pw_rules": {"zh": "至少 {length} 个字符，不能与用户名或当前密码相同。",
                 "en": "At least {length} characters, not your username and not the current password."},
    "pw_submit": {"zh": "修改密码", "en": "Change password"},
    "pw_mismatch": {"zh": "两次输入的新密码不一致", "en": "the two new passwords differ"},
    "pw_done": {"zh": "密码已修改，其他设备上的 {sessions} 个登录会话已结束。",
                "en": "Your password is changed; {sessions} session(s) on other devices ended."},
    **REGISTRY_TEXTS,  # the registry pages' (名录)
    **EVALUATION_TEXTS,  # the city evaluation pages' (扬帆之城评价)
}


#: English for the catalog's base units (counts read as plain numbers).
UNIT_EN = {"个": "", "项": "", "款": "", "家": "", "户": "", "人": "persons", "个/万人": "per 10k residents",
           "部/百人": "per 100 residents", "百分点": "pp"}
#: English has no 万 or 亿: a large count reads in millions or billions, a smaller one in full.
LARGE_EN = ((1e9, "billion"), (1e6, "million"))


@dataclass(frozen=True, slots=True)
class Scale:
    """How values of one indicator are written: the base value ÷ ``divisor``, with ``decimals`` places, in ``unit``."""

    divisor: float
    decimals: int
    unit: str
    #: The divisor and decimals the value is first rounded to, when they are not this scale's: the Chinese
    #: display unit's, so that every language writes the same rounded figure (50.5万 is 505,000).
    rounding: tuple[float, int] | None = None

    def number(self, value: float | None) -> float | None:
        """The value as a table or chart shows it, in this scale's unit."""
        if value is None:
            return None
        divisor, decimals = self.rounding or (self.divisor, self.decimals)
        return round(round(value / divisor, decimals) * divisor / self.divisor, self.decimals) + 0.0  # + 0.0: no -0

    def digits(self, value: float | None) -> str:
        """The value with thousands separators, without the unit (a dash where there is none)."""
        shown = self.number(value)
        return "—" if shown is None else f"{shown:,.{self.decimals}f}"

    def text(self, value: float | None) -> str:
        """The value with its unit: 425.1 万个, 4.251 million, 505,000, 34.35 per 10k residents."""
        return "—" if value is None else f"{self.digits(value)} {self.unit}".strip()


def scale(ind: Indicator, lang: Lang, magnitude: float | None = None) -> Scale:
    """How to write values of ``ind`` of about ``magnitude`` (base unit, e.g. the largest in a table).

    Chinese keeps the catalog's display unit (万个, 亿户). English has no 万 or 亿: such a count is written
    in full below a million and in millions or billions above, always to the precision of the Chinese
    figure, so that both say the same (50.5万 → 505,000; 425.1万 → 4.251 million; 10.14亿 → 1.014 billion).
    Other units (%, per 10k residents) are written as they are.
    """
    if lang == "zh":
        return Scale(ind.display_divisor, ind.decimals, ind.display_unit)
    noun = ind.unit_en or UNIT_EN.get(ind.unit, ind.unit)
    if ind.display_divisor == 1:
        return Scale(1.0, ind.decimals, noun)
    rounding = (ind.display_divisor, ind.decimals)
    shown = abs(round((magnitude or 0) / ind.display_divisor, ind.decimals) * ind.display_divisor)
    divisor, word = next(((d, w) for d, w in LARGE_EN if shown >= d), (1.0, ""))  # 999,999,600 is 1 billion
    places = max(0, round(math.log10(divisor / ind.display_divisor)) + ind.decimals)
    return Scale(divisor, places, f"{word} {noun}".strip(), rounding)


def base_unit(ind: Indicator, lang: Lang) -> str:
    """The unit of a stored or computed value, before any display divisor: 个, %, 个/万人; count, %, …"""
    return ind.unit if lang == "zh" else ind.unit_en or UNIT_EN.get(ind.unit, ind.unit) or "count"


def value_text(ind: Indicator, value: float | None, lang: Lang) -> str:
    """A value of ``ind`` with its unit, written on its own: 425.1 万个, 4.251 million."""
    return scale(ind, lang, value).text(value)


def target_text(ind: Indicator, target: Target, lang: Lang) -> str:
    """A target as people read it: 超 85 %, 达 38 个/万人, 超 1 亿个, > 100 million, …"""
    if target.value is None:
        return "—"
    s = scale(ind, lang, target.value)
    if lang == "zh" and target.value >= 1e8 and ind.unit in ("个", "户"):  # 1亿, not 10,000万
        s = Scale(1e8, 0, "亿" + ind.unit)
    comparator = {"超": ("超", ">"), "达": ("达", "≥")}[target.comparator][0 if lang == "zh" else 1]
    value = f"{target.value / s.divisor:,.6f}".rstrip("0").rstrip(".")  # as the plan says it: 38, 3.8, 1
    text = f"{comparator} {value} {s.unit}".strip()
    # A number the plan does not state is Yangfan's reading, and says so wherever it shows.
    return f"{text}（{PLATFORM_READING['zh']}）" if target.reading and lang == "zh" else \
        f"{text} ({PLATFORM_READING['en']})" if target.reading else text


def deadline_text(target: Target, lang: Lang) -> str:
    """A target's deadline, saying when it is the plan's horizon because the clause sets no date."""
    if target.deadline is None:
        return ""
    if target.deadline_from == "plan":
        return f"{target.deadline}（{HORIZON_DEADLINE['zh']}）" if lang == "zh" else \
            f"{target.deadline} ({HORIZON_DEADLINE['en']})"
    return target.deadline.code


def in_language(note: str, lang: Lang) -> str:
    """One language of a note the core writes in both, "中文 / English"."""
    return note.split(" / ")[0 if lang == "zh" else -1]


def unit_name(unit: OrgUnit, lang: Lang) -> str:
    """An org unit's name in the page's language (Chinese where no English name is known)."""
    return unit.name_zh if lang == "zh" else (unit.name_en or unit.name_zh)


def texts(lang: Lang) -> dict[str, str]:
    """All texts in one language."""
    return {k: v[lang] for k, v in TEXTS.items()}
