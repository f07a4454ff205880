"""The words the deterministic layer reads: one home for every word list.

Currencies and units of figures, the metric keywords and what kind of quantity each
metric is, the words that state an institution's or a product's type, the words that
make a clause regulatory, and the generic words that are no names. Data only: the
modules that read the text (``numbers``, ``periods``, ``rules``, ``normalise``) build
their patterns from these lists.
"""

from __future__ import annotations

from .models import ActionKind, InstitutionType, MetricKind, ProductType

# -- figures --------------------------------------------------------------------------

# A currency word after a figure → its ISO code (longest words are tried first).
CURRENCY_WORDS = {
    "元人民币": "CNY",
    "人民币": "CNY",
    "美元": "USD",
    "港元": "HKD",
    "港币": "HKD",
    "卢比": "INR",
    "欧元": "EUR",
    "日元": "JPY",
    "英镑": "GBP",
    "元": "CNY",
    "块钱": "CNY",
    "块": "CNY",
}
# English: a symbol or code before the number ($3.7 billion, RMB 9.85 billion, HK$2.2 million)
# and a word or code after it (2.6 trillion yuan, 500 million US dollars). ``$`` alone is the
# US dollar; ``¥`` is the yuan or the yen, which only the context tells (``numbers.yen_currency``).
YEN_SIGN = "¥"
UNKNOWN_CURRENCY = "other"  # a ¥ whose context names neither China nor Japan
CURRENCY_PREFIXES = {
    "US$": "USD",
    "U.S.$": "USD",
    "HK$": "HKD",
    "S$": "SGD",
    "A$": "AUD",
    "C$": "CAD",
    "NT$": "TWD",
    "NZ$": "NZD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "Rs.": "INR",
    "Rs": "INR",
    "₩": "KRW",
    "Rp": "IDR",
    "RMB¥": "CNY",
    "CN¥": "CNY",
    "JP¥": "JPY",
    YEN_SIGN: YEN_SIGN,
}
# ISO codes written as words, before or after the number (USD 4.1 million, 5 million USD).
CURRENCY_CODE_WORDS = {
    "RMB": "CNY",
    "CNY": "CNY",
    "USD": "USD",
    "HKD": "HKD",
    "EUR": "EUR",
    "GBP": "GBP",
    "JPY": "JPY",
    "INR": "INR",
    "SGD": "SGD",
    "AUD": "AUD",
    "CAD": "CAD",
    "CHF": "CHF",
    "KRW": "KRW",
    "IDR": "IDR",
    "MYR": "MYR",
    "THB": "THB",
    "TWD": "TWD",
}
CURRENCY_NAMES = {  # after the number, any case
    "yuan": "CNY",
    "renminbi": "CNY",
    "US dollars": "USD",
    "U.S. dollars": "USD",
    "Hong Kong dollars": "HKD",
    "HK dollars": "HKD",
    "Singapore dollars": "SGD",
    "Australian dollars": "AUD",
    "Canadian dollars": "CAD",
    "dollars": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds sterling": "GBP",
    "pounds": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "Indian rupees": "INR",
    "rupees": "INR",
    "rupee": "INR",
    "won": "KRW",
    "rupiah": "IDR",
    "ringgit": "MYR",
    "baht": "THB",
}
CURRENCY_CODES = frozenset(CURRENCY_WORDS.values()) | frozenset(CURRENCY_CODE_WORDS.values())
# Money a figure may be written in: every currency code, and the ¥ that stays unresolved.
MONEY_UNITS = CURRENCY_CODES | {UNKNOWN_CURRENCY}
# A unit word after a figure → the unit the contract writes (longer words first).
UNIT_WORDS = {"个百分点": "pp", "百分点": "pp", "个基点": "bp", "基点": "bp", "%": "%", "倍": "times"}
RATIO_UNITS = frozenset({"%", "pp", "bp"})
# English unit words after a figure (any case; longer words first where one starts another).
ENGLISH_UNIT_WORDS = {
    "percentage points": "pp",
    "percentage point": "pp",
    "ppts": "pp",
    "ppt": "pp",
    "pps": "pp",
    "pp": "pp",
    "per cent": "%",
    "percent": "%",
    "pct": "%",
    "basis points": "bp",
    "basis point": "bp",
    "bps": "bp",
    "bp": "bp",
    "times": "times",
    "x": "times",
}
# Counted things: kept as the article's own word (contract: 笔, 人次, 家).
COUNT_WORDS = (
    "人次",
    "万次",
    "笔",
    "家",
    "户",
    "条",
    "次",
    "名",
    "期",
    "件",
    "位",
    "张",
    "款",
    "个",
    "人",
    "单",
    "项",
    "只",
    "台",
    "座",
    "所",
    "份",
)
# What a ¥ means, read from the words around it, then from the article: the yuan beside
# 元/RMB or in a Chinese article, the yen beside yen or in an article about Japan.
YUAN_WORDS = ("元", "人民币", "RMB", "CNY", "yuan", "renminbi")
YEN_WORDS = ("日元", "JPY", "yen")
CHINA_WORDS = ("China", "Chinese", "PBOC", "PBoC", "Beijing", "Shanghai", "Shenzhen", "中国", *YUAN_WORDS)
JAPAN_WORDS = ("Japan", "Japanese", "Tokyo", "BOJ", "日本", *YEN_WORDS)

# What a bare English number after these words is: a reference (No. 1217, Section 47,
# Exhibit 99.1, Stage 2), not a figure.
REFERENCE_WORDS = (
    "No.",
    "Nos.",
    "No",
    "Number",
    "Section",
    "Sections",
    "Article",
    "Articles",
    "Rule",
    "Rules",
    "Regulation",
    "Form",
    "Note",
    "Notes",
    "Page",
    "Pages",
    "Chapter",
    "Item",
    "Items",
    "Clause",
    "Paragraph",
    "Schedule",
    "Appendix",
    "Exhibit",
    "Annex",
    "Part",
    "Tier",
    "Stage",
    "Phase",
    "Level",
    "Pillar",
    "Version",
    "Room",
    "Floor",
    "Suite",
    "Unit",
    "Block",
    "Tower",
    "Road",
    "Street",
    "Circular",
    "Order",
    "Case",
    "Docket",
    "File",
)
# A number right after one of these (with a colon) is a stock code: (NASDAQ: QFIN; HKEx: 3660).
EXCHANGE_TAGS = (
    "HKEX",
    "HKEx",
    "SEHK",
    "HKSE",
    "HK",
    "SSE",
    "SZSE",
    "SH",
    "SZ",
    "NYSE",
    "NASDAQ",
    "Nasdaq",
    "TSE",
    "SGX",
    "NSE",
    "BSE",
    "stock code",
    "Stock Code",
    "Stock code",
    "ticker",
    "股票代码",
    "证券代码",
)
# ... and a number followed by one of these: 1398.HK, 600036.SH.
EXCHANGE_SUFFIXES = (".HK", ".SH", ".SS", ".SZ", ".SI", ".NS", ".BO", ".T", " HK Equity", " CH Equity")
# English words after a number that make it a date, a duration or an age, not a figure.
DURATION_WORDS = (
    "years",
    "year",
    "yrs",
    "months",
    "month",
    "weeks",
    "week",
    "days",
    "day",
    "hours",
    "hour",
    "minutes",
    "minute",
    "seconds",
    "quarters",
    "a.m.",
    "p.m.",
    "am",
    "pm",
)
# Month names as English dates write them (capitalised: "may" is a verb); number = month.
MONTHS = {
    "January": 1,
    "February": 2,
    "March": 3,
    "April": 4,
    "May": 5,
    "June": 6,
    "July": 7,
    "August": 8,
    "September": 9,
    "October": 10,
    "November": 11,
    "December": 12,
    "Jan": 1,
    "Feb": 2,
    "Mar": 3,
    "Apr": 4,
    "Jun": 6,
    "Jul": 7,
    "Aug": 8,
    "Sept": 9,
    "Sep": 9,
    "Oct": 10,
    "Nov": 11,
    "Dec": 12,
}

# Words a full stop ends without ending the sentence (Mr. Li, Ping An Insurance Co. Ltd.).
ABBREVIATIONS = (
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Prof",
    "Sen",
    "Rep",
    "Gov",
    "Inc",
    "Co",
    "Corp",
    "Ltd",
    "Bhd",
    "Pte",
    "Plc",
    "Jr",
    "Sr",
    "St",
    "No",
    "Nos",
    "vs",
    "etc",
    "approx",
    "est",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
    "Rs",
    "Fig",
    "Vol",
    "Art",
    "Sec",
    "Dept",
)

# Chinese digits (十, 百 … are units of a numeral, not digits).
CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}

# -- metrics --------------------------------------------------------------------------

# Ordered: the first keyword of a group that ends nearest to the figure wins.
METRIC_KEYWORDS: tuple[tuple[str, MetricKind], ...] = (
    ("不良贷款率", MetricKind.npl_ratio),
    ("不良率", MetricKind.npl_ratio),
    ("拨备覆盖率", MetricKind.provision_coverage_ratio),
    ("资本充足率", MetricKind.capital_adequacy_ratio),
    ("坏账率", MetricKind.bad_debt_ratio),
    ("毛利率", MetricKind.gross_margin),
    ("市场份额", MetricKind.market_share),
    ("市占率", MetricKind.market_share),
    ("IT投入占", MetricKind.it_spending_ratio),
    ("科技投入占", MetricKind.it_spending_ratio),
    ("年利率", MetricKind.interest_rate),
    ("日利率", MetricKind.interest_rate),
    ("年化利率", MetricKind.interest_rate),
    ("利率", MetricKind.interest_rate),
    ("注册资本", MetricKind.registered_capital),
    ("增资", MetricKind.capital_increase),
    ("总资产", MetricKind.total_assets),
    ("资产规模", MetricKind.total_assets),
    ("贷款余额", MetricKind.loan_balance),
    ("余额", MetricKind.loan_balance),
    ("发放贷款", MetricKind.loan_volume),
    ("放贷", MetricKind.loan_volume),
    ("放款", MetricKind.loan_volume),
    ("净利润", MetricKind.net_profit),
    ("净赚", MetricKind.net_profit),
    ("净利", MetricKind.net_profit),
    ("净亏损", MetricKind.net_loss),
    ("亏损", MetricKind.net_loss),
    ("营业收入", MetricKind.revenue),
    ("营收", MetricKind.revenue),
    ("收入", MetricKind.revenue),
    ("罚单", MetricKind.fine_amount),
    ("罚款", MetricKind.fine_amount),
    ("罚没", MetricKind.fine_amount),
    ("投诉", MetricKind.complaint_count),
    ("额度", MetricKind.credit_limit),
    ("客户", MetricKind.customer_count),
    ("用户", MetricKind.user_count),
    ("月活", MetricKind.user_count),
)
# What a metric's figure can be: a ratio (%, pp, bp), money (a currency, or none written)
# or a count; the groups decide which units fit a metric and the unit a bare figure gets.
RATIO_METRICS = {
    MetricKind.npl_ratio,
    MetricKind.provision_coverage_ratio,
    MetricKind.capital_adequacy_ratio,
    MetricKind.bad_debt_ratio,
    MetricKind.gross_margin,
    MetricKind.market_share,
    MetricKind.it_spending_ratio,
    MetricKind.interest_rate,
}
MONEY_METRICS = {
    MetricKind.revenue,
    MetricKind.net_profit,
    MetricKind.net_loss,
    MetricKind.registered_capital,
    MetricKind.capital_increase,
    MetricKind.total_assets,
    MetricKind.loan_balance,
    MetricKind.loan_volume,
    MetricKind.fine_amount,
    MetricKind.credit_limit,
}
COUNT_METRICS = {MetricKind.customer_count, MetricKind.user_count, MetricKind.complaint_count}
# Stocks and ratios sit at a point in time; flows cover a span.
POINT_METRICS = {
    MetricKind.npl_ratio,
    MetricKind.provision_coverage_ratio,
    MetricKind.capital_adequacy_ratio,
    MetricKind.registered_capital,
    MetricKind.total_assets,
    MetricKind.loan_balance,
    MetricKind.bad_debt_ratio,
}


# Counted things written right after the figure: 服务超千万用户.
WORDS_AFTER_FIGURE: dict[str, MetricKind] = {
    "借款客户": MetricKind.customer_count,
    "企业客户": MetricKind.customer_count,
    "客户": MetricKind.customer_count,
    "用户": MetricKind.user_count,
    "投诉": MetricKind.complaint_count,
}
# Written a word or two after the figure: 超1300万元巨额罚单.
WORDS_NEAR_AFTER_FIGURE: tuple[tuple[str, MetricKind], ...] = (
    ("罚单", MetricKind.fine_amount),
    ("罚款", MetricKind.fine_amount),
)


# -- institutions ---------------------------------------------------------------------

# China's licensed private internet banks (民营互联网银行): a closed, public list.
INTERNET_BANKS = (
    "微众银行",
    "网商银行",
    "新网银行",
    "百信银行",
    "苏宁银行",
    "众邦银行",
    "亿联银行",
    "中关村银行",
    "WeBank",
    "MYbank",
)
# Name endings that state an institution's type, the first group that fits wins;
# regulators and central banks may also carry the word inside the name.
INSTITUTION_TYPE_WORDS: tuple[tuple[tuple[str, ...], InstitutionType], ...] = (
    (("人民银行", "央行", "中央银行", "Reserve Bank", "储备银行"), InstitutionType.central_bank),
    (
        ("金融监督管理总局", "金融监管总局", "银保监会", "银监会", "证监会", "监管局", "金融监督管理局", "金融办"),
        InstitutionType.regulator,
    ),
    (("法院",), InstitutionType.court),
    (("律师事务所", "律所"), InstitutionType.law_firm),
    (("消费金融", "消金"), InstitutionType.consumer_finance_company),
    (("小贷", "小额贷款"), InstitutionType.microlender),
    (("银行", "Bank"), InstitutionType.bank),
)

# Places a name may start with → ISO country code (longer names first: 印度尼西亚 before 印度).
PLACES = (
    ("印度尼西亚", "ID"),
    ("印尼", "ID"),
    ("印度", "IN"),
    ("美国", "US"),
    ("香港", "HK"),
    ("日本", "JP"),
    ("英国", "GB"),
    ("新加坡", "SG"),
    ("马来西亚", "MY"),
    ("泰国", "TH"),
    ("韩国", "KR"),
    ("德国", "DE"),
)

# The endings of the bank and lender names found standing as words in the text.
LENDER_SUFFIXES = ("银行", "小贷", "消费金融")
# Words that start a generic phrase (民营银行, 作为银行产品), not a lender's name.
GENERIC_LENDER_PREFIXES = (
    "民营",
    "互联网",
    "数字",
    "商业",
    "国有",
    "城商",
    "农商",
    "外资",
    "中资",
    "大型",
    "中小",
    "股份",
    "地方",
    "村镇",
    "合作",
    "该",
    "传统",
    "各",
    "多家",
    "其他",
    "正规",
    "网络",
    "全国",
    "头部",
    "首家",
    "这家",
    "一家",
    # function words: "作为银行产品", "属于银行" are no names
    "作为",
    "属于",
    "成为",
    "通过",
    "对于",
    "关于",
    "来自",
    "包括",
    "例如",
    "比如",
    "除了",
    "是",
    "在",
    "由",
    "向",
    "被",
    "对",
    "从",
    "为",
    "与",
    "和",
    "及",
    "或",
)

# Words a model reports as an institution that name none.
GENERIC_INSTITUTIONS = {
    "监管",
    "监管部门",
    "监管机构",
    "公司",
    "该公司",
    "本公司",
    "银行",
    "该行",
    "本行",
    "平台",
    "机构",
    "催收机构",
    "网贷公司",
    "网贷平台",
    "金融机构",
    "中国网贷公司",
    "消费者",
    "用户",
    "客户",
    "政府",
}
# Words an article uses for its own main subject (该行 …).
SELF_WORDS = {"公司", "该公司", "本公司", "该行", "本行", "该平台", "该机构", "集团"}

# -- products -------------------------------------------------------------------------

# Name endings that state a product's type (花呗/分付/白条 … anywhere in the name, as the contract lists).
PRODUCT_TYPE_WORDS: tuple[tuple[tuple[str, ...], ProductType], ...] = (
    (("花呗", "分付", "白条", "信用付", "月付"), ProductType.revolving_credit),
    (("车贷",), ProductType.car_loan),
    (("企业贷", "业贷", "商贷", "经营贷", "税贷", "贸贷", "科创贷"), ProductType.sme_loan),
    (("分期",), ProductType.installment),
    (("理财", "基金"), ProductType.wealth_management),
    (("存款", "定期"), ProductType.deposit),
    (("贷",), ProductType.consumer_loan),
)

# Words before 产品包括 that belong to the list's opening phrase (主要产品包括 …).
PRODUCT_LIST_OPENERS = ("主要", "核心", "旗下")
# Words that end a generic offering (贷款, 业务 …), not a product's name.
GENERIC_PRODUCTS = ("业务", "服务", "产品", "贷款", "信用卡", "存款", "理财", "保险", "基金", "平台", "功能")

# -- regulatory acts ------------------------------------------------------------------

# A clause that names none of these reports no regulatory act (the model's actions are checked against it).
REGULATORY_WORDS = (
    "监管",
    "罚",
    "处罚",
    "批复",
    "批准",
    "获批",
    "新规",
    "规定",
    "办法",
    "通知",
    "整改",
    "牌照",
    "执照",
    "吊销",
    "调查",
    "立案",
    "警示",
    "约谈",
    "央行",
    "金融监督管理",
    "银保监",
    "证监",
    "施行",
    "实施",
    "出台",
    "regulator",
    "fine",
    "penalt",
    "approv",
    "licen",
    "rule",
    "investigat",
)
# A sentence that states a regulatory act, by its wording: one of the first words and, where
# a second list is given, one of those too (新规…落地). The first kind that matches wins.
ACT_WORDING: tuple[tuple[ActionKind, tuple[str, ...], tuple[str, ...]], ...] = (
    (ActionKind.fine, ("罚单", "罚款", "罚没", "行政处罚"), ()),
    (ActionKind.license_revocation, ("吊销",), ()),
    (ActionKind.approval, ("批复", "获批", "批准"), ()),
    (ActionKind.rule_effective, ("新规", "办法", "规定", "条例"), ("落地", "施行", "实施", "生效")),
    (ActionKind.new_rule, ("新规", "新政", "办法", "规定", "通知", "指引"), ("出台", "发布", "印发", "推出")),
    (ActionKind.rectification_order, ("责令整改", "整改通知"), ()),
    (ActionKind.investigation, ("立案调查", "立案"), ()),
)
