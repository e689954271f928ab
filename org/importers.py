"""Org-chart import from .xlsx and .csv: validate every row, then write everything or nothing.

One row describes a unit and, optionally, one person in it (see COLUMNS and docs/org-and-access.md).
The import runs in two passes, like CISO Assistant's library importer:

1. validate: read the file, check the header, resolve every unit reference (rows may refer to
   units defined further down, or to existing units), match units and people to existing rows
   (so importing the same file twice changes nothing), and collect *all* errors as
   "第 N 行：…" with the column named;
2. write: only when there are no errors, in one transaction.

Re-importing never deletes: units, people and roles missing from the file are left as they are,
and blank cells do not erase stored values.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from core import audit
from core.files import check_upload
from core.models import AuditAction, User
from core.roles import Role
from org.actions import USERNAME_HINT, USERNAME_RE, create_account, temporary_password
from org.choices import UnitKind
from org.models import Person, RoleAssignment, Unit

COLUMNS: tuple[str, ...] = (
    "单位名称", "上级单位", "单位类型", "单位编码", "姓名", "职务", "电话", "邮箱", "工号", "登录账号", "角色", "负责单位",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("单位名称",)
COLUMN_HELP: dict[str, str] = {
    "单位名称": "必填。单位全称。同一单位可出现在多行（每行一名人员），各行的上级单位、类型、编码须一致。",
    "上级单位": "上级单位的名称或编码：可以是本表中的单位（行的先后不限），也可以是系统中已有的单位。"
                "留空：新单位为顶层单位；已有单位保持原上级不变。",
    "单位类型": "党组/党委、办公室、科室、直属单位、其他（也可填“机关”）。留空：新单位按科室处理，已有单位不变。",
    "单位编码": "可选，全系统唯一。填写后，再次导入时按编码识别单位（可借此修改单位名称）。",
    "姓名": "填写则本行新增或更新一名人员；只建单位的行留空。",
    "职务": "可选，如“科长”“党组成员、副秘书长”。",
    "电话": "可选。",
    "邮箱": "可选，须为有效的邮箱地址。",
    "工号": "可选，全系统唯一。再次导入时优先按工号识别人员，其次按登录账号，再次按“姓名 + 所在单位”。",
    "登录账号": "可选，英文字母、数字和 @ . + - _。新账号生成临时密码（导入成功后只显示一次），首次登录须修改密码。",
    "角色": "可选，多个用“、”或“,”分隔：第一责任人、直接责任人（分管领导）、班子成员（一岗双责）、科室负责人、"
            "信息员、网评员、系统管理员；也可写简称“分管领导”“一岗双责”“班子成员”“负责人”。",
    "负责单位": "角色所负责的单位（名称或编码），多个用“、”分隔；留空为本人所在单位。领导角色覆盖该单位及其全部下级单位。",
}
EXAMPLE_ROWS: list[tuple[str, ...]] = [
    ("市政府机关", "", "机关", "SZF", "", "", "", "", "", "", "", ""),
    ("办公室", "市政府机关", "办公室", "SZF-BGS", "张三", "办公室主任", "010-12345678", "zhangsan@example.gov.cn",
     "1001", "zhangsan", "科室负责人、信息员", ""),
]
MAX_ROWS = 5000
MAX_LENGTH: dict[str, int] = {
    "单位名称": 100, "单位编码": 32, "姓名": 64, "职务": 64, "电话": 32, "邮箱": 254, "工号": 32, "登录账号": 150,
}
ACCEPTED_TYPES = {"xlsx", "csv"}
SHEET_NAME = "组织机构"

_KIND_NAMES: dict[str, str] = {
    **{label: value for value, label in UnitKind.choices},
    **{value: value for value in UnitKind.values},
    "党组": UnitKind.LEADERSHIP, "党委": UnitKind.LEADERSHIP, "党组（党委）": UnitKind.LEADERSHIP,
    "党委（党组）": UnitKind.LEADERSHIP, "党组(党委)": UnitKind.LEADERSHIP, "处室": UnitKind.SECTION,
    "科": UnitKind.SECTION, "处": UnitKind.SECTION, "直属": UnitKind.AFFILIATE, "事业单位": UnitKind.AFFILIATE,
}
_ROLE_NAMES: dict[str, str] = {
    **{label: value for value, label in Role.choices},
    **{value: value for value in Role.values},
    "直接责任人": Role.DIRECT_RESPONSIBLE, "分管领导": Role.DIRECT_RESPONSIBLE,
    "班子成员": Role.LEADER_MEMBER, "一岗双责": Role.LEADER_MEMBER,
    "负责人": Role.UNIT_HEAD, "科室负责人": Role.UNIT_HEAD,
    "管理员": Role.SYSADMIN,
}
_LIST_SPLIT = re.compile(r"[、,，;；\n]+")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADER_NOTE = re.compile(r"[（(].*?[）)]")


def _normalize_key(text: str) -> str:
    # Half- and full-width brackets both appear in hand-typed sheets.
    return text.replace("(", "（").replace(")", "）").replace(" ", "")


_KIND_LOOKUP = {_normalize_key(k): v for k, v in _KIND_NAMES.items()}
_ROLE_LOOKUP = {_normalize_key(k): v for k, v in _ROLE_NAMES.items()}


# --- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # the row number as the spreadsheet shows it; 0 for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}" if self.row else self.message


class ImportRejected(Exception):
    """Nothing was written; `errors` says why, row by row."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
        super().__init__("；".join(str(e) for e in self.errors[:5]))


@dataclass
class NewAccount:
    username: str
    name: str
    unit: str
    password: str


@dataclass
class ImportSummary:
    rows: int = 0
    units_created: int = 0
    units_updated: int = 0
    people_created: int = 0
    people_updated: int = 0
    roles_added: int = 0
    accounts: list[NewAccount] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "accounts"}


# --- reading ----------------------------------------------------------------------------------------


@dataclass
class SheetRow:
    number: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 工号 1001 as 1001.0
    elif isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    return _CONTROL_CHARS.sub("", str(value)).strip()


def _header_name(value: Any) -> str:
    # "单位类型（党组/党委…）" and "单位名称*" are read as the bare column name.
    return _HEADER_NOTE.sub("", _text(value)).replace("*", "").replace("＊", "").strip()


def _read_csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected([RowError(0, "", "无法识别 CSV 文件的编码，请另存为“CSV UTF-8”或 GB18030 编码后重试")])
    try:
        yield from enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
    except csv.Error as exc:
        raise ImportRejected([RowError(0, "", f"CSV 文件格式错误：{exc}")]) from exc


def _read_xlsx(data: bytes) -> Iterator[tuple[int, tuple[Any, ...]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise ImportRejected([RowError(0, "", "Excel 文件已损坏或格式不正确，无法读取")]) from exc
    try:
        sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    except ImportRejected:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ImportRejected([RowError(0, "", "Excel 文件已损坏或格式不正确，无法读取")]) from exc
    finally:
        workbook.close()


def read_rows(uploaded: Any) -> list[SheetRow]:
    """The data rows of the upload, keyed by column; raises ImportRejected for file-level faults."""
    try:
        ext = check_upload(uploaded, ACCEPTED_TYPES)
    except ValidationError as exc:
        raise ImportRejected([RowError(0, "", m) for m in exc.messages]) from exc
    data = uploaded.read()
    uploaded.seek(0)
    header: list[str] | None = None
    rows: list[SheetRow] = []
    for number, values in _read_csv(data) if ext == "csv" else _read_xlsx(data):
        cells = [_text(v) for v in values]
        if not any(cells):
            continue
        if header is None:
            header = [_header_name(v) for v in values]
            _check_header(header)
            continue
        if len(rows) >= MAX_ROWS:
            # Stop reading here: the generator's cleanup closes the workbook.
            raise ImportRejected([RowError(0, "", f"数据行超过上限 {MAX_ROWS} 行，请分批导入")])
        rows.append(SheetRow(number, {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header) if name}))
    if header is None:
        raise ImportRejected([RowError(0, "", "文件是空的：没有表头，也没有数据行。请使用下载的模板填写")])
    if not rows:
        raise ImportRejected([RowError(0, "", "文件中没有数据行（表头之后没有内容）")])
    return rows


def _check_header(header: list[str]) -> None:
    errors: list[RowError] = []
    named = [h for h in header if h]
    unknown = [h for h in named if h not in COLUMNS]
    if unknown:
        errors.append(RowError(0, "", f"表头中有无法识别的列：{'、'.join(unknown)}。应使用模板中的列：{'、'.join(COLUMNS)}"))
    duplicated = sorted({h for h in named if named.count(h) > 1})
    if duplicated:
        errors.append(RowError(0, "", f"表头中的列重复：{'、'.join(duplicated)}"))
    missing = [c for c in REQUIRED_COLUMNS if c not in named]
    if missing:
        errors.append(RowError(0, "", f"缺少必需的列：{'、'.join(missing)}（第一行须为表头，请使用下载的模板）"))
    if errors:
        raise ImportRejected(errors)


# --- validating -------------------------------------------------------------------------------------


@dataclass(eq=False)
class _UnitSpec:
    name: str
    first_row: int
    parent_ref: str = ""
    kind: str | None = None
    code: str | None = None
    existing: Unit | None = None
    parent: Any = None  # _UnitSpec | Unit | None once resolved (only when parent_ref is given)
    matched: bool = False
    unit: Unit | None = None  # the saved row, during the write


@dataclass(eq=False)
class _PersonSpec:
    row: int
    name: str
    spec: _UnitSpec
    title: str
    phone: str
    email: str
    employee_no: str
    username: str
    role_names: list[str]
    role_refs: list[str]
    existing: Person | None = None
    link_user: User | None = None
    roles: list[tuple[str, Any]] = field(default_factory=list)  # (role, _UnitSpec | Unit)


class _Validator:
    def __init__(self, rows: list[SheetRow]) -> None:
        self.rows = rows
        self.errors: list[RowError] = []
        self.specs: dict[str, _UnitSpec] = {}
        self.specs_by_code: dict[str, _UnitSpec] = {}
        self.people: list[_PersonSpec] = []
        units = list(Unit.objects.all())
        self.units_by_id = {u.pk: u for u in units}
        self.db_by_code = {u.code: u for u in units if u.code}
        self.db_by_name: dict[str, list[Unit]] = defaultdict(list)
        self.db_children: dict[tuple[int | None, str], Unit] = {}
        for u in units:
            self.db_by_name[u.name].append(u)
            self.db_children[(u.parent_id, u.name)] = u
        self.spec_for_db: dict[int, _UnitSpec] = {}

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    # pass 1: each row on its own
    def collect(self) -> None:
        for row in self.rows:
            for column, limit in MAX_LENGTH.items():
                if len(row.get(column)) > limit:
                    self.error(row.number, column, f"{column}过长（最多 {limit} 个字符）")
            name = row.get("单位名称")
            if not name:
                self.error(row.number, "单位名称", "单位名称不能为空")
                continue
            kind = None
            if row.get("单位类型"):
                kind = _KIND_LOOKUP.get(_normalize_key(row.get("单位类型")))
                if kind is None:
                    self.error(row.number, "单位类型", f"单位类型“{row.get('单位类型')}”无法识别，"
                                                     f"可填：党组/党委、办公室、科室、直属单位、其他、机关")
            spec = self._merge_unit(row, name, kind)
            if row.get("姓名"):
                self._collect_person(row, spec)
            else:
                for column in ("职务", "电话", "邮箱", "工号", "登录账号", "角色", "负责单位"):
                    if row.get(column):
                        self.error(row.number, "姓名", f"填写了“{column}”但姓名为空")
                        break

    def _merge_unit(self, row: SheetRow, name: str, kind: str | None) -> _UnitSpec:
        spec = self.specs.get(name)
        if spec is None:
            spec = self.specs[name] = _UnitSpec(name=name, first_row=row.number)
        for column, attr, value in (("上级单位", "parent_ref", row.get("上级单位")), ("单位类型", "kind", kind),
                                    ("单位编码", "code", row.get("单位编码") or None)):
            if not value:
                continue
            current = getattr(spec, attr)
            if current and current != value:
                self.error(row.number, column, f"单位“{name}”的{column}与第 {spec.first_row} 行不一致")
            elif not current:
                setattr(spec, attr, value)
        if spec.parent_ref == name:
            self.error(row.number, "上级单位", f"单位“{name}”不能是自己的上级单位")
            spec.parent_ref = ""
        return spec

    def _collect_person(self, row: SheetRow, spec: _UnitSpec) -> None:
        email = row.get("邮箱")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.error(row.number, "邮箱", f"邮箱“{email}”格式不正确")
        username = row.get("登录账号")
        if username and not USERNAME_RE.match(username):
            self.error(row.number, "登录账号", f"登录账号“{username}”无效：{USERNAME_HINT}")
        role_names = [r.strip() for r in _LIST_SPLIT.split(row.get("角色")) if r.strip()]
        roles = []
        for name in role_names:
            role = _ROLE_LOOKUP.get(_normalize_key(name))
            if role is None:
                self.error(row.number, "角色", f"角色“{name}”无法识别，可填：{'、'.join(Role.labels)}")
            elif role not in roles:
                roles.append(role)
        refs = [r.strip() for r in _LIST_SPLIT.split(row.get("负责单位")) if r.strip()]
        if refs and not roles:
            self.error(row.number, "负责单位", "填写了负责单位但没有填写角色")
        self.people.append(_PersonSpec(
            row=row.number, name=row.get("姓名"), spec=spec, title=row.get("职务"), phone=row.get("电话"),
            email=email, employee_no=row.get("工号"), username=username, role_names=roles, role_refs=refs,
        ))

    # pass 2: units against each other and the database
    def lookup(self, ref: str) -> _UnitSpec | Unit | str:
        """A unit named (or coded) `ref`, from the file first, then the database; a message if none."""
        if ref in self.specs:
            return self.specs[ref]
        if ref in self.specs_by_code:
            return self.specs_by_code[ref]
        unit = self.db_by_code.get(ref)
        if unit is None:
            named = self.db_by_name.get(ref, [])
            if len(named) > 1:
                return f"系统中有 {len(named)} 个名为“{ref}”的单位，请改填单位编码"
            unit = named[0] if named else None
        if unit is None:
            return f"找不到单位“{ref}”：既不在本表中，也不是系统中已有的单位"
        return self.spec_for_db.get(unit.pk, unit)

    def match_units(self) -> None:
        for spec in self.specs.values():
            if spec.code:
                other = self.specs_by_code.get(spec.code)
                if other is not None:
                    self.error(spec.first_row, "单位编码", f"单位编码“{spec.code}”与第 {other.first_row} 行的单位重复")
                else:
                    self.specs_by_code[spec.code] = spec
        for spec in self.specs.values():
            self._match(spec, set())
        for spec in self.specs.values():
            if spec.existing is None:
                continue
            other = self.spec_for_db.get(spec.existing.pk)
            if other is not None and other is not spec:
                self.error(spec.first_row, "单位名称", f"与第 {other.first_row} 行是同一个已有单位“{spec.existing.name}”")
            else:
                self.spec_for_db[spec.existing.pk] = spec
        for spec in self.specs.values():
            if spec.parent_ref:
                target = self.lookup(spec.parent_ref)
                if isinstance(target, str):
                    self.error(spec.first_row, "上级单位", target)
                elif isinstance(target, Unit) and not target.is_active:
                    self.error(spec.first_row, "上级单位", f"上级单位“{target.name}”已停用")
                else:
                    spec.parent = target
        self._check_cycles()
        self._check_names_free()

    def _match(self, spec: _UnitSpec, visiting: set[_UnitSpec]) -> Unit | None:
        """The existing unit this row names: by code, else by name under its parent, else by unique name."""
        if spec.matched:
            return spec.existing
        if spec in visiting:
            return None  # a loop of 上级单位; _check_cycles reports it with the whole loop
        visiting.add(spec)
        if spec.code and spec.code in self.db_by_code:
            spec.existing = self.db_by_code[spec.code]
        elif spec.parent_ref:
            parent = self.lookup(spec.parent_ref)
            parent_unit = self._match(parent, visiting) if isinstance(parent, _UnitSpec) else parent
            if isinstance(parent_unit, Unit):
                spec.existing = self.db_children.get((parent_unit.pk, spec.name))
        else:
            named = self.db_by_name.get(spec.name, [])
            if len(named) == 1:
                spec.existing = named[0]
            elif len(named) > 1:
                self.error(spec.first_row, "上级单位",
                           f"系统中有 {len(named)} 个名为“{spec.name}”的单位，请填写上级单位或单位编码以区分")
        visiting.discard(spec)
        spec.matched = True
        return spec.existing

    def parent_of(self, node: _UnitSpec | Unit) -> _UnitSpec | Unit | None:
        """The parent each unit will have after the import."""
        if isinstance(node, _UnitSpec):
            if node.parent_ref:
                return node.parent
            node = node.existing
            if node is None:
                return None
        parent = self.units_by_id.get(node.parent_id) if node.parent_id else None
        return self.spec_for_db.get(parent.pk, parent) if parent is not None else None

    def _check_cycles(self) -> None:
        reported: set[int] = set()
        limit = len(self.specs) + len(self.units_by_id) + 2
        for spec in self.specs.values():
            path: list[Any] = [spec]
            node = self.parent_of(spec)
            while node is not None and len(path) < limit:
                if node in path:
                    loop = path[path.index(node):] + [node]
                    if spec in loop and spec.first_row not in reported:
                        names = " → ".join(n.name for n in loop)
                        self.error(spec.first_row, "上级单位", f"上级单位形成循环：{names}")
                        reported.add(spec.first_row)
                    break
                path.append(node)
                node = self.parent_of(node)

    def _check_names_free(self) -> None:
        """A unit renamed (matched by code) or moved must not land on a sibling's name."""
        for spec in self.specs.values():
            if spec.existing is None or not spec.parent_ref or not isinstance(spec.parent, Unit | _UnitSpec):
                continue
            parent_unit = spec.parent if isinstance(spec.parent, Unit) else spec.parent.existing
            if parent_unit is None:
                continue
            clash = self.db_children.get((parent_unit.pk, spec.name))
            if clash is not None and clash.pk != spec.existing.pk and clash.pk not in self.spec_for_db:
                self.error(spec.first_row, "单位名称", f"“{parent_unit.name}”下已有名为“{spec.name}”的单位")
        for spec in self.specs.values():
            if spec.existing is not None and not spec.parent_ref and spec.name != spec.existing.name:
                clash = self.db_children.get((spec.existing.parent_id, spec.name))
                if clash is not None and clash.pk != spec.existing.pk:
                    self.error(spec.first_row, "单位名称", f"同一上级下已有名为“{spec.name}”的单位")

    # pass 3: people
    def match_people(self) -> None:
        emp_nos = [p.employee_no for p in self.people if p.employee_no]
        by_emp = {p.employee_no: p for p in Person.objects.filter(employee_no__in=emp_nos).select_related("user", "unit")}
        names = [p.username.lower() for p in self.people if p.username]
        users = {u.username.lower(): u for u in User.objects.annotate(lower=Lower("username")).filter(lower__in=names)}
        by_user = {p.user_id: p for p in Person.objects.filter(user__in=users.values()).select_related("user", "unit")}
        unit_ids = [s.existing.pk for s in self.specs.values() if s.existing is not None]
        by_name: dict[tuple[int, str], list[Person]] = defaultdict(list)
        for person in Person.objects.filter(unit_id__in=unit_ids, name__in=[p.name for p in self.people]).select_related("user"):
            by_name[(person.unit_id, person.name)].append(person)
        seen_emp: dict[str, int] = {}
        seen_user: dict[str, int] = {}
        seen_person: dict[int, int] = {}
        seen_new: dict[tuple[str, str], int] = {}
        for p in self.people:
            if p.employee_no:
                if p.employee_no in seen_emp:
                    self.error(p.row, "工号", f"工号“{p.employee_no}”与第 {seen_emp[p.employee_no]} 行重复")
                seen_emp.setdefault(p.employee_no, p.row)
            account = users.get(p.username.lower()) if p.username else None
            if p.username:
                key = p.username.lower()
                if key in seen_user:
                    self.error(p.row, "登录账号", f"登录账号“{p.username}”与第 {seen_user[key]} 行重复")
                seen_user.setdefault(key, p.row)
            # Identify the person: 工号, then 登录账号, then 姓名 + 单位.
            if p.employee_no and p.employee_no in by_emp:
                p.existing = by_emp[p.employee_no]
                self._check_same_name(p, "工号", p.employee_no)
            elif account is not None and account.pk in by_user:
                p.existing = by_user[account.pk]
                self._check_same_name(p, "登录账号", p.username)
                if p.employee_no and p.existing.employee_no and p.existing.employee_no != p.employee_no:
                    self.error(p.row, "工号", f"登录账号“{p.username}”对应的人员“{p.existing.name}”"
                                             f"工号为“{p.existing.employee_no}”，与本行不符")
            elif p.spec.existing is not None:
                # Same name in the same unit, unless the stored person carries a different 工号 or account.
                same = [x for x in by_name.get((p.spec.existing.pk, p.name), [])
                        if not (p.employee_no and x.employee_no) and not (p.username and x.user_id)]
                if len(same) > 1:
                    self.error(p.row, "姓名", f"“{p.spec.name}”有 {len(same)} 名叫“{p.name}”的人员，请填写工号或登录账号以区分")
                elif same:
                    p.existing = same[0]
            if p.existing is not None:
                if p.existing.pk in seen_person:
                    self.error(p.row, "姓名", f"与第 {seen_person[p.existing.pk]} 行是同一名人员")
                seen_person.setdefault(p.existing.pk, p.row)
            elif not p.employee_no and not p.username:
                key = (p.spec.name, p.name)
                if key in seen_new:
                    self.error(p.row, "姓名", f"与第 {seen_new[key]} 行同单位同名，请填写工号或登录账号以区分")
                seen_new.setdefault(key, p.row)
            self._check_account(p, account)
            targets = []
            for ref in p.role_refs or [p.spec.name]:
                target = self.lookup(ref)
                if isinstance(target, str):
                    self.error(p.row, "负责单位", target)
                elif isinstance(target, Unit) and not target.is_active:
                    self.error(p.row, "负责单位", f"负责单位“{target.name}”已停用")
                else:
                    targets.append(target)
            p.roles = [(role, target) for role in p.role_names for target in targets]

    def _check_same_name(self, p: _PersonSpec, column: str, value: str) -> None:
        # A typo in 工号 or 登录账号 must not silently rename (and move) somebody else.
        if p.existing is not None and p.existing.name != p.name:
            self.error(p.row, column, f"{column}“{value}”对应的人员是“{p.existing.name}”，与本行姓名“{p.name}”不符"
                                      f"（如需改名，请在人员页面修改）")

    def _check_account(self, p: _PersonSpec, account: User | None) -> None:
        if not p.username:
            return
        current = p.existing.user if p.existing is not None and p.existing.user_id else None
        if current is not None and current.username.lower() != p.username.lower():
            self.error(p.row, "登录账号", f"“{p.existing.name}”已有登录账号“{current.username}”，不能改为“{p.username}”")
        elif account is not None and current is None:
            linked = Person.objects.filter(user=account).first()
            if linked is not None and (p.existing is None or linked.pk != p.existing.pk):
                self.error(p.row, "登录账号", f"登录账号“{p.username}”已属于“{linked.name}”")
            elif account.is_system:
                self.error(p.row, "登录账号", f"“{p.username}”是系统保留账号")
            else:
                p.link_user = account  # an account opened before its person: join them

    def run(self) -> None:
        self.collect()
        self.match_units()
        self.match_people()
        if self.errors:
            raise ImportRejected(self.errors)


# --- writing ----------------------------------------------------------------------------------------


def _depth(validator: _Validator, spec: _UnitSpec) -> int:
    depth, node = 0, validator.parent_of(spec)
    while isinstance(node, _UnitSpec | Unit) and depth < 10000:
        depth += 1
        node = validator.parent_of(node)
    return depth


def _unit_of(target: _UnitSpec | Unit | None) -> Unit | None:
    """The saved unit behind a reference, read afresh: moving a unit earlier in this import re-paths
    its subtree in the database, so an instance loaded during validation may carry a stale path."""
    if isinstance(target, _UnitSpec):
        return target.unit
    return Unit.objects.get(pk=target.pk) if target is not None else None


def _write(validator: _Validator, summary: ImportSummary) -> None:
    for spec in sorted(validator.specs.values(), key=lambda s: _depth(validator, s)):
        unit = Unit.objects.get(pk=spec.existing.pk) if spec.existing is not None else None
        if unit is None:
            unit = Unit(name=spec.name, parent=_unit_of(spec.parent), kind=spec.kind or UnitKind.SECTION, code=spec.code)
            unit.save()
            summary.units_created += 1
        else:
            changes: dict[str, Any] = {"name": spec.name, "is_active": True}
            if spec.parent_ref:
                changes["parent"] = _unit_of(spec.parent)
            if spec.kind:
                changes["kind"] = spec.kind
            if spec.code:
                changes["code"] = spec.code
            changed = [k for k, v in changes.items() if getattr(unit, k) != v]
            if changed:
                for k in changed:
                    setattr(unit, k, changes[k])
                unit.save()
                summary.units_updated += 1
        spec.unit = unit

    new_accounts = [p for p in validator.people if p.username and p.link_user is None
                    and (p.existing is None or not p.existing.user_id)]
    credentials = _hash_many(len(new_accounts))
    for p in validator.people:
        person = p.existing
        values: dict[str, Any] = {"name": p.name, "unit": p.spec.unit, "is_active": True}
        for attr in ("title", "phone", "email", "employee_no"):
            if getattr(p, attr):
                values[attr] = getattr(p, attr)
        if person is None:
            person = Person(**values)
            summary.people_created += 1
            dirty = True
        else:
            unit = values.pop("unit")
            changed = [k for k, v in values.items() if getattr(person, k) != v]
            for k in changed:
                setattr(person, k, values[k])
            if person.unit_id != unit.pk:
                person.unit = unit
                changed.append("unit")
            dirty = bool(changed)
        if p.username and not person.user_id:
            if p.link_user is not None:
                person.user = p.link_user
            else:
                person.user, password = create_account(
                    p.username, display_name=p.name, email=p.email, credentials=credentials.pop()
                )
                summary.accounts.append(NewAccount(p.username, p.name, p.spec.name, password))
            dirty = True
        if dirty:
            if person.pk is not None:
                summary.people_updated += 1
            person.save()
        held = set(RoleAssignment.objects.filter(person=person).values_list("role", "unit_id")) if p.roles else set()
        for role, target in p.roles:
            unit = _unit_of(target)
            if (role, unit.pk) not in held:
                RoleAssignment.objects.create(person=person, role=role, unit=unit)
                held.add((role, unit.pk))
                summary.roles_added += 1


def _hash_many(count: int) -> list[tuple[str, str]]:
    """Temporary passwords with their hashes, computed in parallel (PBKDF2 releases the GIL)."""
    if not count:
        return []
    passwords = [temporary_password() for _ in range(count)]
    workers = max(1, min(8, os.cpu_count() or 1, count))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        hashes = list(pool.map(make_password, passwords))
    return list(zip(passwords, hashes, strict=True))


def import_org_chart(uploaded: Any, *, acting_user: Any) -> ImportSummary:
    """Validate, then write all rows in one transaction. Raises ImportRejected; nothing is written then.

    The caller has checked the permission (org.actions.do_import_org_chart). A rejection is logged
    after the transaction has been left, so its audit entry survives the rollback.
    """
    name = os.path.basename(getattr(uploaded, "name", "") or "")[:200]
    try:
        with audit.audit_context(actor=acting_user):
            rows = read_rows(uploaded)
            validator = _Validator(rows)
            validator.run()
            summary = ImportSummary(rows=len(rows))
            try:
                with transaction.atomic():
                    _write(validator, summary)
                    audit.record(AuditAction.IMPORT, object_type="org.import", object_repr=name,
                                 changes={"file": name, **summary.counts(),
                                          "accounts": [a.username for a in summary.accounts]})
            except IntegrityError as exc:
                raise ImportRejected([RowError(0, "", "导入时与他人同时修改的数据冲突，未写入任何数据，请重试")]) from exc
    except ImportRejected as rejected:
        audit.record(
            AuditAction.IMPORT_REJECTED,
            object_type="org.import",
            object_repr=name,
            actor=acting_user,
            changes={"file": name, "error_count": len(rejected.errors),
                     "errors": [str(e) for e in rejected.errors[:50]]},
        )
        raise
    return summary


# --- the template -----------------------------------------------------------------------------------


def build_template() -> bytes:
    """The .xlsx users fill in: the header, example rows, and a 说明 sheet explaining each column."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(list(COLUMNS))
    for row in EXAMPLE_ROWS:
        sheet.append(list(row))
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    widths = {"单位名称": 18, "上级单位": 18, "单位类型": 12, "单位编码": 12, "姓名": 10, "职务": 18, "电话": 16,
              "邮箱": 26, "工号": 10, "登录账号": 14, "角色": 26, "负责单位": 20}
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = widths[column]
    sheet.freeze_panes = "A2"
    kinds = DataValidation(type="list", formula1='"党组/党委,办公室,科室,直属单位,其他,机关"', allow_blank=True)
    kinds.error = "请选择单位类型"
    sheet.add_data_validation(kinds)
    kinds.add(f"C2:C{MAX_ROWS + 1}")  # noqa: S608 - a cell range, not SQL

    notes = workbook.create_sheet("说明")
    notes.append(["列", "说明"])
    for cell in notes[1]:
        cell.font = bold
        cell.fill = fill
    for column in COLUMNS:
        notes.append([column, COLUMN_HELP[column]])
    notes.append([])
    for line in (
        "第 1 行是表头，不要修改列名；第 2、3 行是示例，导入前请删除或改成本单位的数据。",
        "每行描述一个单位，并可同时填写该单位的一名人员；只建单位时姓名及其后各列留空。",
        "导入前先检查全部行：只要有一行有错，整个文件都不会导入，页面会列出每一处错误（第几行、哪一列）。",
        "同一文件可以重复导入：已有的单位和人员会被识别并更新，不会重复新增；表中没有的记录不会被删除。",
        "也可以另存为 CSV（UTF-8 或 GB18030 编码）后导入。",
    ):
        notes.append(["", line])
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 100
    for row in notes.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
