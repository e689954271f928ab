"""The demo organ loaded by `manage.py load_demo`: 市政府机关 with its leaders, 12 units, ~40 people.

Written for the project (no real persons). Loading is idempotent: units and people are matched by
code and account name, so running it twice changes nothing but the demo password.
"""

from __future__ import annotations

from typing import Any

from core.roles import Role
from org.choices import UnitKind

ORGAN = {"code": "SZF", "name": "市政府机关", "kind": UnitKind.ORGAN}

UNITS: list[dict[str, Any]] = [
    {"code": "SZF-DZ", "name": "机关党组", "short": "党组", "kind": UnitKind.LEADERSHIP},
    {"code": "SZF-BGS", "name": "办公室", "kind": UnitKind.OFFICE, "coordinator": True},
    {"code": "SZF-MS", "name": "秘书科", "kind": UnitKind.SECTION},
    {"code": "SZF-ZH", "name": "综合科", "kind": UnitKind.SECTION},
    {"code": "SZF-XJ", "name": "宣传教育科", "kind": UnitKind.SECTION},
    {"code": "SZF-ZY", "name": "政策研究科", "kind": UnitKind.SECTION},
    {"code": "SZF-XX", "name": "信息科", "kind": UnitKind.SECTION},
    {"code": "SZF-RS", "name": "人事科", "kind": UnitKind.SECTION},
    {"code": "SZF-CW", "name": "财务科", "kind": UnitKind.SECTION},
    {"code": "SZF-FZ", "name": "法制科", "kind": UnitKind.SECTION},
    {"code": "SZF-DC", "name": "督查科", "kind": UnitKind.SECTION},
    {"code": "SZF-JGDW", "name": "机关党委办公室", "kind": UnitKind.SECTION},
    {"code": "SZF-ZWZX", "name": "市政务服务中心", "kind": UnitKind.AFFILIATE},
    {"code": "SZF-SWZX", "name": "市机关事务服务中心", "kind": UnitKind.AFFILIATE},
]

# alias -> unit code, or "kind:<UnitKind>" for every unit of that kind
ALIASES: dict[str, str] = {
    "党组": "SZF-DZ",
    "党组（党委）": "SZF-DZ",
    "机关党组": "SZF-DZ",
    "党组理论学习中心组": "SZF-DZ",
    "领导班子": "SZF-DZ",
    "办公室": "SZF-BGS",
    "机关党委": "SZF-JGDW",
    "宣传部门": "SZF-XJ",
    "各科室": f"kind:{UnitKind.SECTION}",
    "各处室": f"kind:{UnitKind.SECTION}",
    "各直属单位": f"kind:{UnitKind.AFFILIATE}",
}

# (account, name, unit code, title, [(role, unit code)])
PEOPLE: list[tuple[str, str, str, str, list[tuple[str, str]]]] = [
    ("shuji", "周正明", "SZF-DZ", "党组书记、秘书长", [(Role.FIRST_RESPONSIBLE, "SZF")]),
    ("fenguan", "陈立新", "SZF-DZ", "党组成员、副秘书长（分管宣传思想工作）",
     [(Role.DIRECT_RESPONSIBLE, "SZF-XJ"), (Role.DIRECT_RESPONSIBLE, "SZF-XX"), (Role.DIRECT_RESPONSIBLE, "SZF-BGS")]),
    ("banzi1", "王海燕", "SZF-DZ", "党组成员、副秘书长",
     [(Role.LEADER_MEMBER, "SZF-MS"), (Role.LEADER_MEMBER, "SZF-ZH"), (Role.LEADER_MEMBER, "SZF-ZY")]),
    ("banzi2", "李国栋", "SZF-DZ", "党组成员、副秘书长",
     [(Role.LEADER_MEMBER, "SZF-RS"), (Role.LEADER_MEMBER, "SZF-CW"), (Role.LEADER_MEMBER, "SZF-FZ"),
      (Role.LEADER_MEMBER, "SZF-DC"), (Role.LEADER_MEMBER, "SZF-ZWZX"), (Role.LEADER_MEMBER, "SZF-SWZX")]),
    ("bgs_zr", "赵文静", "SZF-BGS", "办公室主任", [(Role.UNIT_HEAD, "SZF-BGS")]),
    ("admin", "孙浩然", "SZF-BGS", "信息化管理员", [(Role.SYSADMIN, "SZF")]),
    ("bgs_xxy", "钱晓雯", "SZF-BGS", "科员", [(Role.LIAISON, "SZF-BGS")]),
    ("bgs_ky", "郑伟", "SZF-BGS", "科员", []),
    ("ms_kz", "吴建华", "SZF-MS", "科长", [(Role.UNIT_HEAD, "SZF-MS")]),
    ("ms_ky1", "冯丽娟", "SZF-MS", "副科长", [(Role.LIAISON, "SZF-MS")]),
    ("ms_ky2", "褚天宇", "SZF-MS", "科员", []),
    ("zh_kz", "卫志强", "SZF-ZH", "科长", [(Role.UNIT_HEAD, "SZF-ZH")]),
    ("zh_ky1", "蒋雪梅", "SZF-ZH", "科员", [(Role.LIAISON, "SZF-ZH")]),
    ("zh_ky2", "沈俊杰", "SZF-ZH", "科员", []),
    ("xj_kz", "韩明辉", "SZF-XJ", "科长", [(Role.UNIT_HEAD, "SZF-XJ")]),
    ("xj_ky1", "杨静怡", "SZF-XJ", "副科长", [(Role.LIAISON, "SZF-XJ")]),
    ("xj_ky2", "朱晨阳", "SZF-XJ", "科员", [(Role.COMMENTATOR, "SZF-XJ")]),
    ("xj_ky3", "秦雨桐", "SZF-XJ", "科员", [(Role.COMMENTATOR, "SZF-XJ")]),
    ("zy_kz", "尤振华", "SZF-ZY", "科长", [(Role.UNIT_HEAD, "SZF-ZY")]),
    ("zy_ky1", "许文博", "SZF-ZY", "科员", [(Role.LIAISON, "SZF-ZY")]),
    ("xx_kz", "何建国", "SZF-XX", "科长", [(Role.UNIT_HEAD, "SZF-XX")]),
    ("xx_ky1", "吕思源", "SZF-XX", "科员", [(Role.LIAISON, "SZF-XX")]),
    ("xx_ky2", "施宇航", "SZF-XX", "科员", [(Role.COMMENTATOR, "SZF-XX")]),
    ("rs_kz", "张桂芳", "SZF-RS", "科长", [(Role.UNIT_HEAD, "SZF-RS")]),
    ("rs_ky1", "孔令辉", "SZF-RS", "科员", [(Role.LIAISON, "SZF-RS")]),
    ("cw_kz", "曹丽华", "SZF-CW", "科长", [(Role.UNIT_HEAD, "SZF-CW")]),
    ("cw_ky1", "严晓东", "SZF-CW", "科员", [(Role.LIAISON, "SZF-CW")]),
    ("fz_kz", "华永刚", "SZF-FZ", "科长", [(Role.UNIT_HEAD, "SZF-FZ")]),
    ("fz_ky1", "金婷婷", "SZF-FZ", "科员", [(Role.LIAISON, "SZF-FZ")]),
    ("dc_kz", "魏长青", "SZF-DC", "科长", [(Role.UNIT_HEAD, "SZF-DC")]),
    ("dc_ky1", "陶然", "SZF-DC", "科员", [(Role.LIAISON, "SZF-DC")]),
    ("jgdw_zr", "姜红梅", "SZF-JGDW", "机关党委专职副书记", [(Role.UNIT_HEAD, "SZF-JGDW")]),
    ("jgdw_ky1", "戚志远", "SZF-JGDW", "科员", [(Role.LIAISON, "SZF-JGDW")]),
    ("zwzx_zr", "谢卫东", "SZF-ZWZX", "中心主任", [(Role.UNIT_HEAD, "SZF-ZWZX")]),
    ("zwzx_ky1", "邹晓玲", "SZF-ZWZX", "科员", [(Role.LIAISON, "SZF-ZWZX")]),
    ("zwzx_ky2", "喻家豪", "SZF-ZWZX", "科员", [(Role.COMMENTATOR, "SZF-ZWZX")]),
    ("swzx_zr", "柏春生", "SZF-SWZX", "中心主任", [(Role.UNIT_HEAD, "SZF-SWZX")]),
    ("swzx_ky1", "水佳琪", "SZF-SWZX", "科员", [(Role.LIAISON, "SZF-SWZX")]),
    ("swzx_ky2", "窦明轩", "SZF-SWZX", "科员", []),
    ("xj_ky4", "章可欣", "SZF-XJ", "科员", []),
    ("yq_fxy", "沈舆清", "SZF-XJ", "舆情分析员", [(Role.OPINION_ANALYST, "SZF-XJ")]),
]

# The accounts printed by `make run`, one per role.
SHOWCASE: list[tuple[str, str]] = [
    ("admin", "系统管理员"),
    ("shuji", "第一责任人（党组书记）"),
    ("fenguan", "直接责任人（分管领导）"),
    ("banzi1", "班子成员（一岗双责）"),
    ("xj_kz", "科室负责人（宣传教育科）"),
    ("xj_ky1", "信息员（宣传教育科）"),
    ("xj_ky2", "网评员（宣传教育科）"),
    ("yq_fxy", "舆情分析员（宣传教育科，7×24 舆情监测）"),
    ("xx_ky2", "网评员（信息科）"),
    ("ms_ky2", "普通干部（秘书科）"),
]
