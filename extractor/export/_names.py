"""How a name is compared: one key per way of writing the same name.

Two surface forms are the same name when their keys are equal: NFKC (full-width
letters, digits and brackets become half-width), traditional → simplified characters
(OpenCC's ``t2s`` table), case folded, spaces, middle dots and quotes removed, and a
trailing legal form (股份有限公司, 有限公司, Co., Ltd.) cut off. Everything else about
whether two *different* keys name one institution is decided in ``_resolve``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
_DROP = re.compile(r"[\s·•・“”‘’\"'「」『』《》〈〉【】]+")
_LEGAL_FORMS = (
    "集团股份有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd.",
    "co.ltd",
    "limited",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
    "corporation",
    "corp.",
    "plc",
)
_TRAILING_PUNCT = ",.;:，。；：、"


def _words(text: str) -> list[str]:
    return text.split()


# Words that name a kind of institution, not one institution: never an entity of their
# own, never the short form in a containment merge, never a parent.
GENERIC = frozenset(
    _words(
        """
    监管 监管部门 监管机构 监管层 监管当局 金融监管部门 金融监管机构 有关部门 相关部门 主管部门
    银行 商业银行 农商银行 农商行 农村商业银行 城商行 城市商业银行 民营银行 互联网银行 村镇银行
    股份制银行 国有银行 国有大行 大行 外资银行 中小银行 该行 本行 此行 我行 各银行 多家银行
    小贷 小贷公司 小额贷款公司 网络小贷 网络小贷公司 网贷 网贷公司 网贷平台 助贷机构 助贷平台
    消费金融 消费金融公司 持牌消费金融公司 消金公司 金融科技公司 金融科技平台 科技公司 互联网公司
    公司 该公司 本公司 其 集团 该集团 平台 该平台 机构 金融机构 持牌机构 催收机构 催收公司 律所
    法院 政府 央行 中央银行 交易所 保险公司 证券公司 基金公司 信托公司 支付机构 第三方支付
    """
    )
)

# Provinces, municipalities and large cities: a prefix that says where, not who.
REGIONS = tuple(
    sorted(
        _words(
            """
        北京 北京市 上海 上海市 天津 天津市 重庆 重庆市 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建
        江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏
        新疆 香港 澳门 深圳 深圳市 广州 广州市 杭州 杭州市 南京 南京市 成都 成都市 武汉 武汉市 西安
        苏州 宁波 厦门 青岛 大连 长沙 郑州 济南 合肥 福州 昆明 南宁 沈阳 哈尔滨 长春 石家庄 太原
        深圳前海 前海 浙江杭州
        """
        ),
        key=len,
        reverse=True,
    )
)


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """The comparison key of a name (see the module docstring)."""
    text = unicodedata.normalize("NFKC", name)
    text = _T2S.convert(text).casefold()
    text = _DROP.sub("", text).strip(_TRAILING_PUNCT)
    for form in _LEGAL_FORMS:
        if text.endswith(form) and len(text) > len(form) + 1:
            text = text[: -len(form)].rstrip(",.")
            break
    return text


@lru_cache(maxsize=200_000)
def is_plain(form: str) -> bool:
    """Written in simplified characters and half-width letters already (preferred for display)."""
    simplified: str = _T2S.convert(unicodedata.normalize("NFKC", form))
    return simplified == form


def is_generic(key: str) -> bool:
    """A word for a kind of institution (银行, 监管), an indefinite one (某银行), or too short."""
    return not key or key in GENERIC or key.startswith("某") or len(key) < 2 or key.isdigit()


def strip_region(key: str) -> str:
    """``重庆蚂蚁消费金融`` → ``蚂蚁消费金融``: one leading place name, when something follows it."""
    for region in REGIONS:
        if key.startswith(region) and len(key) > len(region) + 1:
            return key[len(region) :]
    return key
