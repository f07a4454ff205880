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
CURRENCY_CODES = frozenset(CURRENCY_WORDS.values())
# A unit word after a figure → the unit the contract writes (longer words first).
UNIT_WORDS = {"个百分点": "pp", "百分点": "pp", "个基点": "bp", "基点": "bp", "%": "%", "倍": "times"}
RATIO_UNITS = frozenset({"%", "pp", "bp"})
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
# Chinese digits (十, 百 … are units of a numeral, not digits).
CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}

# -- metrics --------------------------------------------------------------------------

# Ordered: the first keyword of a group that ends nearest to the figure wins.
METRIC_KEYWORDS: tuple[tuple[str, MetricKind], ...] = (
    # Listed first, so that where a keyword ends at the same place they win: a figure
    # these name is no metric of the contract's list (一级资本充足率 is not 资本充足率,
    # 同比增长 is a change, 每股收益 is not the profit).
    ("核心一级资本充足率", MetricKind.other),
    ("一级资本充足率", MetricKind.other),
    ("净资产收益率", MetricKind.other),
    ("资产收益率", MetricKind.other),
    ("每股收益", MetricKind.other),
    ("每股净资产", MetricKind.other),
    ("每股亏损", MetricKind.other),
    ("每股", MetricKind.other),
    ("同比增长", MetricKind.other),
    ("同比下降", MetricKind.other),
    ("同比增加", MetricKind.other),
    ("同比减少", MetricKind.other),
    ("同比上升", MetricKind.other),
    ("同比多增", MetricKind.other),
    ("环比增长", MetricKind.other),
    ("环比下降", MetricKind.other),
    ("较上年末", MetricKind.other),
    ("较年初", MetricKind.other),
    ("增速", MetricKind.other),
    ("增幅", MetricKind.other),
    ("降幅", MetricKind.other),
    ("占比", MetricKind.other),
    ("持股比例", MetricKind.other),
    ("持股", MetricKind.other),
    ("股价", MetricKind.other),
    ("市值", MetricKind.other),
    ("估值", MetricKind.other),
    ("总股本", MetricKind.other),
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
# Keywords that name a change of a metric, not a metric: without the model's label a figure
# after one of these is no fact of its own.
CHANGE_WORDS = frozenset(
    {
        "同比增长",
        "同比下降",
        "同比增加",
        "同比减少",
        "同比上升",
        "同比多增",
        "环比增长",
        "环比下降",
        "较上年末",
        "较年初",
        "增速",
        "增幅",
        "降幅",
    }
)
# Keywords of a shareholding: the figure is about the company whose shares are held.
HOLDING_WORDS = frozenset({"持股比例", "持股"})
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
        (
            "金融监督管理总局",
            "金融监管总局",
            "银保监会",
            "银监会",
            "证监会",
            "监管局",
            "监督管理局",
            "监督管理委员会",
            "金融办",
            "网信办",
            "互联网信息办公室",
        ),
        InstitutionType.regulator,
    ),
    (("法院",), InstitutionType.court),
    (("公安局", "公安分局", "检察院", "人民政府", "财政部", "发改委", "税务局"), InstitutionType.government_agency),
    (("日报", "晚报", "商报", "时报", "新华社", "通讯社", "电视台", "周刊"), InstitutionType.media),
    (("律师事务所", "律所"), InstitutionType.law_firm),
    (("交易所", "协会", "商会", "联合会", "资产管理股份有限公司", "资产管理有限公司"), InstitutionType.other),
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

# Words that only qualify a kind of institution (部分银行, 中资全国性银行, 上述银行): a name made
# of these and an institution word names no one.
GENERIC_QUALIFIERS = (
    "部分",
    "多家",
    "各家",
    "各类",
    "各",
    "上述",
    "该",
    "这些",
    "这家",
    "一些",
    "相关",
    "其他",
    "其它",
    "国有",
    "国有大型",
    "中资",
    "外资",
    "全国性",
    "全国",
    "地方",
    "上市",
    "大型",
    "中小",
    "中小型",
    "小型",
    "股份制",
    "股份",
    "城商",
    "城市商业",
    "农商",
    "农村商业",
    "农村合作",
    "民营",
    "头部",
    "传统",
    "商业",
    "互联网",
    "数字",
    "网络",
    "持牌",
    "正规",
    "非银行",
    "非银",
    "银行保险",
    "银行业",
    "金融",
    "类金融",
    "第三方",
    "支付",
    "放贷",
    "贷款",
    "消费",
    "境内",
    "境外",
    "国内",
    "海外",
    "主要",
    "重点",
    "试点",
    "合作",
    "村镇",
    "银行",
    "保险",
)
# Institution words a generic phrase ends with.
GENERIC_HEADS = ("银行", "机构", "公司", "平台", "小贷", "企业", "金融机构", "银行业金融机构", "保险机构", "网贷平台")
# Characters a name never has before its institution word; a mention found by the bank-name
# rule that has one is a phrase (可在手机银行, 意味着对银行, 的互联网小贷), not a name.
NOT_IN_NAMES = "的对在可向让把被与和及或等为是将于从给由并也就已"
# Verbs and channel words that stand before 银行 in phrases, not in names.
NOT_NAME_WORDS = (
    "多年",
    "推动",
    "支持",
    "帮助",
    "鼓励",
    "引导",
    "要求",
    "督促",
    "意味",
    "通过",
    "包括",
    "手机",
    "微信",
    "网上",
    "直销",
    "切实",
    "推进",
    "促进",
    "指导",
    "提醒",
    "呼吁",
)
# Words that lead into a name in running text (根据成都银行, 此次锦州银行, 选择北京银行): the
# bank-name rule cuts a mention after the last of them.
LEADING_WORDS = (
    "根据",
    "据",
    "以",
    "但",
    "而",
    "此次",
    "这次",
    "近期",
    "近日",
    "近年来",
    "今日",
    "今年",
    "去年",
    "目前",
    "绑定",
    "选择",
    "除了",
    "除",
    "继",
    "不过",
    "说明",
    "反映出",
    "反映",
    "尽管",
    "拥有",
    "占",
    "新增",
    "实现",
    "随着",
    "其中",
    "同时",
    "以及",
    "由于",
    "因为",
    "如",
    "像",
    "帮",
    "助力",
    "携手",
    "联合",
    "获得",
    "成立",
)
# Endings of things the model calls institutions that are activities or systems.
NOT_INSTITUTION_ENDINGS = (
    "检查",
    "活动",
    "工作",
    "会议",
    "行动",
    "专项",
    "系统",
    "软件",
    "平台软件",
    "通知",
    "办法",
    "规定",
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
GENERIC_PRODUCTS = ("业务", "服务", "产品", "贷款", "信用卡", "存款", "理财", "保险", "基金", "平台", "功能", "品牌")

# Name endings and words of companies and platforms, which the model sometimes lists as
# products (居然小贷, P2P平台好车贷, 荷包金融平台): a product is what they offer.
COMPANY_WORDS = ("公司", "集团", "银行", "小贷", "担保", "金控", "金服", "金融", "科技", "交易所", "协会", "平台")

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
    "问询函",
    "监管函",
    "风险提示",
    "公安",
    "检察院",
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
    (ActionKind.warning, ("约谈", "警示函", "问询函", "监管函", "关注函", "风险提示", "通报批评", "警告"), ()),
    (ActionKind.investigation, ("立案调查", "立案", "侦查", "提起公诉", "刑事拘留", "非法吸收公众存款"), ()),
    (ActionKind.approval, ("批复", "获批", "批准", "审批", "核准"), ()),
    (ActionKind.rule_effective, ("新规", "办法", "规定", "条例"), ("落地", "施行", "实施", "生效")),
    (ActionKind.new_rule, ("新规", "新政", "办法", "规定", "通知", "指引"), ("出台", "发布", "印发", "推出")),
    (ActionKind.rectification_order, ("责令整改", "整改通知", "责令改正", "限期整改"), ()),
    (ActionKind.business_restriction, ("叫停", "不得新增", "暂停"), ("业务", "新增", "项目")),
)
