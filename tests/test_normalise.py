"""Drafts to facts: grounding, dropping, subjects, units and periods, all without a model."""

from __future__ import annotations

import pytest

from extractor.drafts import ActionDraft, ArticleDrafts, InstitutionDraft, MetricLabel, ProductDraft
from extractor.models import ActionKind, Article, InstitutionType, MetricKind, ProductType, as_article
from extractor.normalise import (
    ArticleText,
    EntityIndex,
    fill_product_terms,
    ground_actions,
    ground_institutions,
    ground_metrics,
    ground_products,
    normalise,
    rule_actions,
)
from extractor.numbers import find_figures, parse_figure
from extractor.rules import (
    institution_mentions,
    is_generic_name,
    listed_products,
    metric_from_context,
    metric_name_near,
)
from extractor.rules.institutions import _BANK_MENTION, _bank_mentions
from extractor.rules.metrics import _keyword_hits

TEXT = (
    "截至2025年6月末,微众银行不良贷款率由2024年末的1.44%升至1.57%。"
    "2024年收到超1300万元巨额罚单,直指账户管理、反洗钱。"
    "微粒贷授信额度范围在500元至20万元之间,年利率(单利)范围一般为3%-23.76%,最长可分24期还款。"
    "在黑猫投诉平台上,关于微粒贷的投诉量超2.6万条。"
)


def _article() -> Article:
    return as_article(Article(title="微众银行的大考", published_at="2025-12-28T22:50", text=TEXT))


def _institution(name: str, quote: str) -> InstitutionDraft:
    return InstitutionDraft(name=name, type=InstitutionType.internet_bank, country="cn", quote=quote)


def _entities(text: ArticleText, institutions: list[InstitutionDraft]) -> EntityIndex:
    """The entity index of the institutions grounded from these drafts."""
    return EntityIndex.of_institutions(ground_institutions(text, institutions), text.article.title)


def test_institutions_are_grounded_deduplicated_and_generic_ones_dropped() -> None:
    n = ArticleText(_article())
    facts = ground_institutions(
        n,
        [
            _institution("微众银行", "微众银行不良贷款率"),
            _institution("微众银行", "微众银行不良贷款率由2024年末"),
            _institution("监管", "罚单"),
            _institution("网商银行", "网商银行"),
            _institution("黑猫投诉", "在黑猫投诉平台上，关于微粒贷"),
        ],
    )
    assert [f.name for f in facts] == ["微众银行", "黑猫投诉"]
    assert facts[0].country == "CN"
    for fact in facts:
        for e in fact.evidence:
            assert TEXT[e.start : e.end] == e.text
    assert any("网商银行" in w for w in n.warnings) and any("监管" in w for w in n.warnings)


def test_metrics_use_code_figures_rules_and_periods() -> None:
    article = _article()
    n = ArticleText(article)
    entities = _entities(n, [_institution("微众银行", "微众银行")])
    drafted = [ProductDraft(name="微粒贷", provider="微众银行", type=ProductType.consumer_loan, quote="微粒贷授信额度")]
    entities = entities.with_products(ground_products(n, drafted, entities))
    candidates = dict(enumerate(find_figures(article.text), start=1))
    ids = {c.raw: i for i, c in candidates.items()}
    labels = [
        # the model calls the first ratio a loan balance and names no period: rules fix both
        MetricLabel(id=ids["1.44%"], subject="公司", metric=MetricKind.loan_balance, name="余额", period=None),
        MetricLabel(
            id=ids["1.57%"],
            subject="微众银行",
            metric=MetricKind.npl_ratio,
            name="不良贷款率",
            period="截至2025年6月末",
        ),
        MetricLabel(
            id=ids["超2.6万条"], subject="黑猫投诉", metric=MetricKind.complaint_count, name="投诉量", period=None
        ),
    ]
    facts = {m.raw: m for m in ground_metrics(n, labels, candidates, entities)}
    npl_2024 = facts["1.44%"]
    assert (npl_2024.subject, npl_2024.metric, npl_2024.unit) == ("微众银行", MetricKind.npl_ratio, "%")
    assert (npl_2024.period_start, npl_2024.period_end) == ("2024-12-31", "2024-12-31")
    assert facts["1.57%"].period_end == "2025-06-30"
    assert facts["超1300万元"].metric is MetricKind.fine_amount  # found by the words before it alone
    assert (facts["超1300万元"].period_start, facts["超1300万元"].period_end) == ("2024-01-01", "2024-12-31")
    assert facts["超2.6万条"].subject == "微粒贷" and facts["超2.6万条"].unit == "条"
    for fact in facts.values():
        figure = parse_figure(fact.raw)
        assert (fact.value, fact.value_max, fact.qualifier.value) == (figure.value, figure.value_max, figure.qualifier)
        assert all(TEXT[e.start : e.end] == e.text for e in fact.evidence)

    products = ground_products(
        n, [ProductDraft(name="微粒贷", type=ProductType.consumer_loan, quote="微粒贷授信额度")], entities
    )
    fill_product_terms(products[0], list(facts.values()), article.text, main_product=True)
    product = products[0]
    assert (product.annual_rate_min, product.annual_rate_max) == (3, 23.76)
    assert (product.credit_limit_min, product.credit_limit_max) == (500, 200000)
    assert product.max_term_months == 24


def test_actions_need_a_grounded_quote_and_regulatory_words() -> None:
    n = ArticleText(_article())
    entities = _entities(n, [_institution("微众银行", "微众银行")])
    actions = ground_actions(
        n,
        [
            ActionDraft(
                regulator="监管",
                target="公司",
                action=ActionKind.fine,
                summary="罚单",
                amount="超1300万元",
                date="2024年",
                reasons=["账户管理", "反洗钱"],
                quote="2024年收到超1300万元巨额罚单",
            ),
            ActionDraft(
                regulator="国家金融监督管理总局",
                action=ActionKind.fine,
                summary="虚构",
                quote="被国家金融监督管理总局罚款",
            ),
            ActionDraft(action=ActionKind.other, summary="不是监管", quote="最长可分24期还款"),
        ],
        entities,
    )
    assert len(actions) == 1
    fine = actions[0]
    assert (fine.target, fine.amount, fine.currency, fine.date) == ("微众银行", 13000000, "CNY", "2024")
    assert fine.regulator is None  # 监管 is not written in this text
    assert len(n.warnings) == 2


def test_facts_from_overlapping_pieces_merge_into_one() -> None:
    """Two pieces that both saw the same figure, institution and product give one fact each."""
    article = _article()
    n = ArticleText(article)
    institutions = ground_institutions(
        n, [_institution("微众银行", "微众银行不良贷款率"), _institution("微众银行", "微众银行")]
    )
    entities = EntityIndex.of_institutions(institutions, article.title)
    product = ProductDraft(
        name="微粒贷", type=ProductType.consumer_loan, features=["最长可分24期还款"], quote="微粒贷授信额度"
    )
    products = ground_products(
        n, [product, product.model_copy(update={"features": ["年利率(单利)范围一般为3%-23.76%"]})], entities
    )
    entities = entities.with_products(products)
    candidates = dict(enumerate(find_figures(article.text), start=1))
    first = next(i for i, c in candidates.items() if c.raw == "1.57%")
    label = MetricLabel(id=first, subject="微众银行", metric=MetricKind.npl_ratio, name="不良贷款率")
    metrics = [m for m in ground_metrics(n, [label, label], candidates, entities) if m.raw == "1.57%"]
    assert len(institutions) == 1 and len(institutions[0].evidence) == 1
    assert len(products) == 1 and products[0].features == ["最长可分24期还款", "年利率(单利)范围一般为3%-23.76%"]
    assert len(metrics) == 1


def test_rule_actions_read_the_wording_the_model_missed() -> None:
    text = (
        "2024年收到超1300万元巨额罚单 直指账户管理、反洗钱等核心合规底线 [3]"
        " - 2025年10月助贷新规落地后 公司违规催收问题仍未根治 - 监管红线日益收紧"
    )
    n = ArticleText(as_article(Article(title="微众银行的大考", published_at="2025-12-28T22:50", text=text)))
    entities = _entities(n, [_institution("微众银行", "公司违规催收问题")])  # named in the title only
    fine, rule = rule_actions(n, [], entities)
    assert (fine.action, fine.target, fine.amount, fine.date) == (ActionKind.fine, "微众银行", 13000000, "2024")
    assert fine.reasons == ["账户管理", "反洗钱"] and fine.regulator == "监管"
    assert (rule.action, rule.target, rule.date) == (ActionKind.rule_effective, None, "2025-10")
    for action in (fine, rule):
        assert all(text[e.start : e.end] == e.text for e in action.evidence)
    assert rule_actions(n, [fine], entities) == [rule]  # what is already reported is not added twice


@pytest.mark.parametrize(
    ("text", "figure", "expected"),
    [
        ("微众银行2024年实现营业收入398亿元", "398亿元", (MetricKind.revenue, "营业收入")),
        ("不良贷款率由1.44%升至1.57%", "1.57%", (MetricKind.npl_ratio, "不良贷款率")),
        ("注册资本150亿元，增资后达到750亿元", "150亿元", (MetricKind.registered_capital, "注册资本")),
        ("服务超千万用户", "千万", (MetricKind.user_count, "用户")),
        ("开出超1300万元巨额罚单", "1300万元", (MetricKind.fine_amount, "罚单")),
        ("活动吸引12.3万人次在线观看", "12.3万人次", None),
    ],
)
def test_metric_from_context_same_with_known_figures(
    text: str, figure: str, expected: tuple[MetricKind, str] | None
) -> None:
    """The words around a figure name its metric; passing the figures already found
    (as the normaliser does) must not change the answer."""
    start = text.index(figure)
    end = start + len(figure)
    spans = [(c.start, c.end) for c in find_figures(text)]
    unit = next(c.figure.unit for c in find_figures(text) if c.start <= start < c.end)
    assert metric_from_context(text, start, end, unit) == expected
    assert metric_from_context(text, start, end, unit, figures=spans) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("主要产品包括个人端的微粒贷、微车贷及企业端的微众企业+ [2][11] - 公司", ["微粒贷", "微车贷", "微众企业+"]),
        ("财付通小贷旗下主要产品包括“分付”(随用随还,日利率0.04%)和“分期”(固定期数还款) [5]", ["分付", "分期"]),
        ("蚂蚁的产品有借呗、花呗等。", ["借呗", "花呗"]),
        ("该行产品包括个人消费贷款、信用卡和理财产品。", []),
        ("产品包括一款面向年轻人的超长名字消费信贷产品和2款存款", []),
    ],
)
def test_listed_products(text: str, names: list[str]) -> None:
    found = listed_products(text)
    assert [name for name, *_ in found] == names
    assert all(text[start:end] == name for name, start, end, _ in found)


def test_listed_products_the_model_missed_are_added_with_a_provider() -> None:
    text = "财付通小贷旗下主要产品包括“分付”(随用随还)和“分期”(固定期数还款)。"
    normaliser = ArticleText(as_article(Article(title="腾讯的分付", text=text)))
    lender = InstitutionDraft(name="财付通小贷", type=InstitutionType.microlender, quote="财付通小贷旗下")
    entities = _entities(normaliser, [lender])
    products = ground_products(
        normaliser,
        [ProductDraft(name="分付", provider="财付通小贷", type=ProductType.revolving_credit, quote="“分付”")],
        entities,
    )
    by_name = {p.name: p for p in products}
    assert set(by_name) == {"分付", "分期"}
    assert by_name["分期"].provider == "财付通小贷" and by_name["分期"].type is ProductType.installment
    evidence = by_name["分期"].evidence[0]
    assert text[evidence.start : evidence.end] == evidence.text == "分期"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("据悉,兴业银行、网商银行与中融小贷均已回应。", ["兴业银行", "网商银行", "中融小贷"]),  # 与 joins names
        ("用户可在手机银行、微信银行办理,意味着对银行有利,推动银行转型", []),
        ("部分银行、上述银行与中资全国性银行", []),
        ("字节跳动旗下中融小贷注册资本190亿元", ["中融小贷"]),
        ("民营银行与互联网银行的差异", []),
        ("产品核心特点 - 正规透明:作为银行产品 息费透明;微粒贷属于银行贷款", []),
    ],
)
def test_institution_mentions_are_names_not_phrases(text: str, names: list[str]) -> None:
    assert [name for name, _, _ in institution_mentions(text)] == names


@pytest.mark.parametrize(
    "text",
    [
        "下旗下微众银行与微众银行",  # 旗下 as a boundary right after a 下 that is none
        "，微众银行银行，中国银行小贷消费金融",  # suffixes back to back
        "，上海农商银行、中关村银行（长银五八消费金融\n蚂蚁小贷",  # 2 to 4 characters before the suffix
        "，一二三四五银行",  # too long to be a name
        "银行，银行银行 中信银行",
    ],
)
def test_bank_mentions_are_what_a_scan_of_every_position_finds(text: str) -> None:
    scan = [match.span(1) for match in _BANK_MENTION.finditer(text)]
    assert [match.span(1) for match in _bank_mentions(text)] == scan


def test_metric_keywords_are_found_inside_longer_ones() -> None:
    text = "净利润与贷款余额、发放贷款"
    assert sorted(text[start:end] for start, end, _ in _keyword_hits(text)) == sorted(
        ["净利润", "净利", "贷款余额", "余额", "发放贷款", "放贷"]
    )


def test_a_money_label_needs_a_currency_or_a_money_word() -> None:
    """18.5万+ likes are not a loan balance because the model said so; 营收398亿 is revenue."""
    text = "网商银行的视频获赞18.5万+。网商银行营收398亿。"
    article = as_article(Article(title="视频热点", text=text))
    n = ArticleText(article)
    entities = _entities(n, [_institution("网商银行", "网商银行")])
    candidates = dict(enumerate(find_figures(text), start=1))
    ids = {c.raw: i for i, c in candidates.items()}
    labels = [
        MetricLabel(id=ids[raw], subject="网商银行", metric=MetricKind.loan_balance, name="余额", period=None)
        for raw in ("18.5万+", "398亿")
    ]
    facts = {m.raw: m for m in ground_metrics(n, labels, candidates, entities)}
    assert (facts["18.5万+"].metric, facts["18.5万+"].unit) == (MetricKind.other, "count")
    assert (facts["398亿"].metric, facts["398亿"].unit) == (MetricKind.revenue, "CNY")


def test_normalise_runs_the_steps_in_order_and_keeps_a_product_named_as_an_institution() -> None:
    """One call: institutions before the subjects they give metrics, and 微粒贷 reported
    as both an institution and a product is kept as the product only."""
    article = _article()
    candidates = dict(enumerate(find_figures(article.text), start=1))
    ids = {c.raw: i for i, c in candidates.items()}
    drafts = ArticleDrafts(
        candidates=candidates,
        institutions=[_institution("微众银行", "微众银行"), _institution("微粒贷", "微粒贷授信额度")],
        products=[ProductDraft(name="微粒贷", provider="微众银行", type=ProductType.consumer_loan, quote="微粒贷")],
        labels=[MetricLabel(id=ids["1.57%"], subject="微众银行", metric=MetricKind.npl_ratio, name="不良贷款率")],
        actions=[
            ActionDraft(regulator="监管", target="公司", action=ActionKind.fine, summary="罚单", quote="巨额罚单")
        ],
    )
    facts = normalise(article, drafts)
    assert [i.name for i in facts.institutions] == ["微众银行"]
    assert [(p.name, p.provider, p.max_term_months) for p in facts.products] == [("微粒贷", "微众银行", 24)]
    by_raw = {m.raw: m for m in facts.metrics}
    assert by_raw["1.57%"].subject == "微众银行" and by_raw["超2.6万条"].subject == "微粒贷"
    assert [(a.action, a.target) for a in facts.regulatory_actions] == [(ActionKind.fine, "微众银行")]
    for fact in [*facts.institutions, *facts.products, *facts.metrics, *facts.regulatory_actions]:
        assert all(TEXT[e.start : e.end] == e.text for e in fact.evidence)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("根据成都银行公告,此次锦州银行与选择北京银行的客户", ["成都银行", "锦州银行", "北京银行"]),
        ("近年来银行业发展迅速,说明银行仍有空间", []),
    ],
)
def test_bank_mentions_start_after_the_words_that_lead_into_them(text: str, names: list[str]) -> None:
    found = institution_mentions(text)
    assert [name for name, _, _ in found] == names
    assert all(text[start:end] == name for name, start, end in found)


@pytest.mark.parametrize(
    ("name", "generic"),
    [
        ("部分银行", True),
        ("中资全国性银行", True),
        ("上述银行", True),
        ("银行保险机构", True),
        ("多家消费金融公司", True),
        ("保险资金运用关联交易专项检查", True),
        ("成都银行", False),
        ("江苏常熟农村商业银行", False),
        ("中国银行", False),
    ],
)
def test_a_generic_name_names_no_institution(name: str, generic: bool) -> None:
    from extractor.rules import is_generic_name

    assert is_generic_name(name) is generic


def test_declared_short_names_are_aliases_of_the_full_name() -> None:
    from extractor.rules import declared_names

    text = (
        "江苏常熟农村商业银行（常熟银行，601128.SH）2020年营收65.82亿元。"
        "公司以3.35亿元收购北京居然之家小额贷款有限责任公司（以下简称“居然小贷”）。"
        "中国建设银行(6.190,-0.02,-0.32%)（简称：建行）表示"
    )
    assert declared_names(text) == [
        ("江苏常熟农村商业银行", "常熟银行"),
        ("北京居然之家小额贷款有限责任公司", "居然小贷"),
        ("中国建设银行", "建行"),
    ]
    article = as_article(Article(text=text))
    institutions = ground_institutions(ArticleText(article), [_institution("常熟银行", "")])
    by_name = {i.name: i for i in institutions}
    assert "常熟银行" not in by_name and by_name["江苏常熟农村商业银行"].aliases == ["常熟银行"]
    assert by_name["北京居然之家小额贷款有限责任公司"].aliases == ["居然小贷"]
    assert by_name["北京居然之家小额贷款有限责任公司"].type is InstitutionType.microlender


def _metrics_of(
    text: str, institutions: list[InstitutionDraft], title: str | None = None
) -> list[tuple[str, str, str]]:
    article = as_article(Article(title=title, text=text))
    n = ArticleText(article)
    entities = _entities(n, institutions)
    candidates = dict(enumerate(find_figures(article.text), start=1))
    facts = ground_metrics(n, [], candidates, entities)
    return [(m.subject, m.metric.value, m.raw) for m in facts]


def test_a_shareholding_is_about_the_company_whose_shares_are_held() -> None:
    bank, holder = _institution("常熟银行", ""), _institution("交通银行股份有限公司", "")
    text = "截至2020年末,常熟银行前十大股东中,交通银行股份有限公司持股比例9.01%。"
    assert _metrics_of(text, [bank, holder]) == [("常熟银行", "other", "9.01%")]
    text = "微众银行作为腾讯持股约30%的互联网银行,发展迅速。"
    assert _metrics_of(text, [_institution("微众银行", ""), _institution("腾讯", "")]) == [
        ("微众银行", "other", "约30%")
    ]


def test_a_news_outlet_is_never_what_a_figure_is_about() -> None:
    outlet = InstitutionDraft(name="北京商报", type=InstitutionType.media)
    text = "北京商报记者获悉,中国人民银行数据显示,6月末贷款余额146万亿元。"
    subjects = {s for s, _, _ in _metrics_of(text, [outlet, _institution("中国人民银行", "")])}
    assert "北京商报" not in subjects
    assert subjects == set()  # and the loans the central bank's data count are the economy's, not its own


@pytest.mark.parametrize(
    ("name", "text", "not_a_product"),
    [
        ("普惠小微贷款", "普惠小微贷款余额增长", True),
        ("结构性存款", "结构性存款规模下降", True),
        ("居然小贷", "收购居然小贷", True),
        ("P2P平台好车贷", "P2P平台好车贷逾期", True),
        ("荷包金融", "荷包金融出借人", True),
        ("微粒贷", "微粒贷额度", False),
        ("生猪养殖贷", "推出生猪养殖贷", False),
        ("安心贷款", "推出“安心贷款”产品", False),  # set off as a name
    ],
)
def test_kinds_of_offerings_and_companies_are_not_products(name: str, text: str, not_a_product: bool) -> None:
    from extractor.rules import is_not_a_product

    assert is_not_a_product(name, text) is not_a_product


def test_a_rule_action_on_no_one_named_by_no_one_named_is_not_reported() -> None:
    text = "上海对联合贷业务释放了监管信号,要求不得新增违规合作项目。2025年10月助贷新规落地。"
    n = ArticleText(as_article(Article(text=text)))
    actions = rule_actions(n, [], _entities(n, []))
    assert [(a.action, a.regulator, a.target) for a in actions] == [(ActionKind.rule_effective, "监管", None)]


def test_an_act_on_listed_institutions_is_one_fact_each() -> None:
    text = "北京市市场监管局召集美团、饿了么、京东等3家互联网企业负责人,召开行政约谈会。"
    n = ArticleText(as_article(Article(text=text)))
    drafts = [InstitutionDraft(name=name, type=InstitutionType.tech_company) for name in ("美团", "饿了么", "京东")]
    drafts.append(InstitutionDraft(name="北京市市场监管局", type=InstitutionType.regulator))
    actions = rule_actions(n, [], _entities(n, drafts))
    assert [(a.action, a.regulator, a.target) for a in actions] == [
        (ActionKind.warning, "北京市市场监管局", name) for name in ("美团", "饿了么", "京东")
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("和讯网", InstitutionType.media),
        ("中国经济网", InstitutionType.media),
        ("工业互联网", None),
        ("上海证券交易所", InstitutionType.other),
        ("中国互联网金融协会", InstitutionType.other),
        ("合肥市公安局包河分局", InstitutionType.government_agency),
        ("交通银行股份有限公司", InstitutionType.bank),
        ("北京居然之家小额贷款有限责任公司", InstitutionType.microlender),
    ],
)
def test_types_a_name_states(name: str, kind: InstitutionType | None) -> None:
    from extractor.rules import institution_type_from_name

    assert institution_type_from_name(name) is kind


def test_a_models_type_the_name_does_not_bear_out_is_other() -> None:
    from extractor.rules import checked_type

    assert checked_type("香港中央结算有限公司", InstitutionType.bank) is InstitutionType.other
    assert checked_type("滴滴出行", InstitutionType.internet_bank) is InstitutionType.other
    assert checked_type("度小满", InstitutionType.fintech_platform) is InstitutionType.fintech_platform
    assert checked_type("中信银行", InstitutionType.bank) is InstitutionType.bank


def test_an_owner_before_qixia_is_the_parent() -> None:
    text = "蚂蚁金服旗下的网商银行与腾讯旗下财付通均已回应。"
    n = ArticleText(as_article(Article(text=text)))
    drafts = [
        InstitutionDraft(name=name, type=InstitutionType.other) for name in ("蚂蚁金服", "网商银行", "腾讯", "财付通")
    ]
    parents = {i.name: i.parent for i in ground_institutions(n, drafts)}
    assert parents == {"蚂蚁金服": None, "网商银行": "蚂蚁金服", "腾讯": None, "财付通": "腾讯"}


@pytest.mark.parametrize("name", ["环卫工人", "快递员", "出租车司机", "交警辅警", "消费者"])
def test_people_by_what_they_do_are_no_institutions(name: str) -> None:
    from extractor.rules import is_generic_name

    assert is_generic_name(name)


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        ("伦敦时间", "伦敦时间10月29日", False),
        ("沪伦通", "开展沪伦通业务", True),  # …通 names an offering
        ("中国香港", "在中国香港上市", False),
        ("微众企业+", "主要产品包括“微众企业+”", True),
        ("微粒贷", "微粒贷额度", True),
        ("余额宝", "余额宝收益", True),
    ],
)
def test_a_product_needs_a_name_that_says_so_or_quotes(name: str, text: str, named: bool) -> None:
    from extractor.rules import is_named_as_a_product

    assert is_named_as_a_product(name, text) is named


@pytest.mark.parametrize(
    ("text", "figure", "name"),
    [
        ("此次直播共吸引12.3万人次在线观看", "12.3万人次", "在线观看"),
        ("150亿注册资本理论上可撬动高达750亿元的放贷资金池", "750亿元", "放贷资金池"),
        ("监管通过业务规则(如联合贷款出资比例不低于30%)将业务", "30%", "联合贷款出资比例"),
        ("按监管要求的小贷公司出资比例不低于30%及合作互联网贷款余额上限规定计算", "30%", "小贷公司出资比例"),
        ("合作催收机构数量达三百余家,远超", "三百余家", "合作催收机构数量"),
        ("度小满金融与逾500家银行等金融机构展开合作", "逾500家", "银行"),  # the list stops at 等
        ("百票贴已为2440户企业提供累计贴现交易343.77亿元", "343.77亿元", "累计贴现交易"),  # after the verb
        ("经营着一家占地五亩、规模约两千头的生猪养殖场", "约两千", "规模"),  # 头 counts pigs, it names nothing
        ("共有5269人次参与赠与", "5269人次", "参与赠与"),
        ("注册资本从最初3亿元扩张了50倍", "50倍", "扩张"),  # 亿元 is the figure before's unit
        ("微粒贷客户中有约18%为无征信记录的“首贷户”", "约18%", "无征信记录"),
    ],
)
def test_a_figure_no_keyword_names_is_named_by_whole_words_near_it(text: str, figure: str, name: str) -> None:
    start = text.index(figure)
    assert metric_name_near(text, start, start + len(figure)) == name


def test_an_action_whose_quote_is_not_verbatim_stands_on_the_sentence_naming_its_parties() -> None:
    article = as_article(
        Article(
            title="罚单",
            published_at="2021-05-01",
            text="据悉，上海银保监局对上海银行开出罚单，罚款1280万元，事由为贷款管理不审慎。上海银行回应称已整改。",
        )
    )
    n = ArticleText(article)
    entities = _entities(
        n,
        [
            InstitutionDraft(name="上海银保监局", type=InstitutionType.regulator, quote="上海银保监局"),
            InstitutionDraft(name="上海银行", type=InstitutionType.bank, quote="上海银行"),
        ],
    )
    paraphrased = ActionDraft(
        regulator="上海银保监局",
        target="上海银行",
        action=ActionKind.fine,
        amount="1280万元",
        quote="上海银保监局罚款上海银行1280万元",  # the model's words, not the article's
    )
    invented = paraphrased.model_copy(update={"regulator": "中国证监会", "target": "中信银行"})
    (fine,) = ground_actions(n, [paraphrased, invented], entities)
    assert (fine.regulator, fine.target, fine.amount) == ("上海银保监局", "上海银行", 12800000)
    evidence = fine.evidence[0]
    assert article.text[evidence.start : evidence.end] == evidence.text
    assert "上海银保监局对上海银行开出罚单" in evidence.text
    assert any("not verbatim" in w for w in n.warnings) and any("quote not found" in w for w in n.warnings)


def _subjects(
    text: str,
    institutions: list[InstitutionDraft],
    proposed: str,
    title: str | None = None,
    products: list[ProductDraft] | None = None,
) -> dict[str, str | None]:
    """Each figure's subject (raw → subject) when the model labels every figure as about
    ``proposed``; None for a figure left out."""
    article = as_article(Article(title=title, text=text))
    candidates = dict(enumerate(find_figures(text), start=1))
    labels = [MetricLabel(id=n, subject=proposed, metric=MetricKind.other, name="x") for n in candidates]
    drafts = ArticleDrafts(candidates, institutions=institutions, products=products or [], labels=labels)
    facts = normalise(article, drafts)
    found: dict[str, str | None] = {c.raw: None for c in candidates.values()}
    found.update({m.raw: m.subject for m in facts.metrics})
    return found


def test_an_industry_figure_is_no_ones_when_its_sentence_names_no_entity() -> None:
    text = "截至6月末，微众银行不良贷款率为1.2%。行业平均不良贷款率为2.1%。在印度的坏账率高达80%。"
    assert _subjects(text, [_institution("微众银行", "")], "微众银行") == {
        "1.2%": "微众银行",
        "2.1%": None,
        "高达80%": None,
    }


def test_a_subject_carries_over_a_semicolon_to_the_figures_after_it() -> None:
    banks = [_institution("中信银行", ""), _institution("百信银行", "")]
    text = (
        "8月25日，中信银行发布报告，报告显示，百信银行上半年总资产679.32亿元，同比增长24.98%；其中营业净收入13.18亿元。"
    )
    subjects = _subjects(text, banks, "中信银行")
    assert set(subjects.values()) == {"百信银行"}, subjects


def test_an_entity_the_model_names_in_the_sentence_is_the_subject_even_if_unlisted() -> None:
    text = "百度旗下度小满2024年净利润8.59亿。"
    assert _subjects(text, [_institution("百度", "")], "度小满") == {"8.59亿": "度小满"}
    article = as_article(Article(text=text))
    candidates = dict(enumerate(find_figures(text), start=1))
    label = MetricLabel(id=1, subject="度小满", metric=MetricKind.net_profit, name="净利润")
    facts = normalise(article, ArticleDrafts(candidates, institutions=[_institution("百度", "")], labels=[label]))
    assert {i.name for i in facts.institutions} == {"百度", "度小满"}  # every subject is an entity


def test_the_product_words_refer_back_to_the_main_product() -> None:
    product = ProductDraft(name="微粒贷", type=ProductType.consumer_loan, quote="微粒贷")
    text = "微粒贷是微众银行推出的线上贷款产品。该产品自2015年上线以来，已服务超千万用户。"
    subjects = _subjects(text, [_institution("微众银行", "")], "微众银行", title="微粒贷指南", products=[product])
    assert subjects == {"超千万": "微粒贷"}


def test_a_news_outlet_in_the_title_is_not_the_articles_subject() -> None:
    outlet = InstitutionDraft(name="优财网", type=InstitutionType.media)
    text = "优财网消息，截至6月末，贷款余额146万亿元。"
    assert _subjects(text, [outlet, _institution("微众银行", "")], "优财网", title="优财网：央行报告") == {
        "146万亿元": None
    }


@pytest.mark.parametrize(
    ("text", "name", "kind"),
    [
        ("北京市市场监管局约谈美团、饿了么、京东等6家网络平台", "饿了么", InstitutionType.tech_company),
        ("北京市市场监管局约谈美团、饿了么、京东等6家网络平台", "美团", InstitutionType.tech_company),
        ("近日，网约车平台滴滴出行上线借款服务", "滴滴出行", InstitutionType.tech_company),
        ("支付机构宝付的法人变更获批", "宝付", InstitutionType.payment_company),
        ("微众银行发布年报", "微众银行", None),  # no category noun: nothing said
    ],
)
def test_the_category_noun_around_a_name_states_its_type(text: str, name: str, kind: InstitutionType | None) -> None:
    from extractor.rules import type_from_context

    assert type_from_context(text, name) is kind


@pytest.mark.parametrize(
    ("name", "proposed", "kind"),
    [
        ("居然之家投资控股集团有限公司", InstitutionType.regulator, InstitutionType.other),  # a company, no regulator
        ("居然之家（天津）融资担保有限公司", InstitutionType.microlender, InstitutionType.other),
        ("工行辽宁分行", InstitutionType.other, InstitutionType.bank),
        ("中国银联", InstitutionType.other, InstitutionType.payment_company),
        ("上海永利宝金融信息服务有限公司", InstitutionType.tech_company, InstitutionType.fintech_platform),
        ("全国社保基金一一零组合", InstitutionType.government_agency, InstitutionType.other),
        ("北京市市场监督管理局", InstitutionType.regulator, InstitutionType.regulator),
        ("杭州鼎家", InstitutionType.regulator, InstitutionType.other),  # no regulator's word in the name
        ("中国银行保险信息技术管理有限公司", InstitutionType.other, InstitutionType.other),  # no bank
        ("交通银行股份有限公司", InstitutionType.other, InstitutionType.bank),
    ],
)
def test_a_name_that_states_its_type_overrules_the_model(
    name: str, proposed: InstitutionType, kind: InstitutionType
) -> None:
    article = as_article(Article(text=f"{name}发布公告。"))
    found = {i.name: i for i in ground_institutions(ArticleText(article), [InstitutionDraft(name=name, type=proposed)])}
    assert found[name].type is kind


def test_a_category_before_a_name_and_a_stock_quote_inside_it_are_not_the_name() -> None:
    text = "P2P平台好车贷逾期。工行拟拍卖中国长城(9.170,0.05,0.55%)资产管理股份持有的股份。"
    n = ArticleText(as_article(Article(text=text)))
    drafts = [
        InstitutionDraft(name="P2P平台好车贷", type=InstitutionType.consumer_finance_company),
        InstitutionDraft(name="中国长城(9.170,0.05,0.55%)资产管理股份", type=InstitutionType.other),
    ]
    found = {i.name: i for i in ground_institutions(n, drafts)}
    assert found["好车贷"].type is InstitutionType.fintech_platform
    evidence = found["中国长城资产管理股份"].evidence[0]
    assert text[evidence.start : evidence.end] == evidence.text and "资产管理股份" in evidence.text


def test_a_change_after_a_figure_is_a_fact_of_the_same_subject_and_period() -> None:
    text = "常熟银行2020年实现营业收入65.82亿元，同比增长2.13%；净利润17.89亿元，同比增长1.01%。"
    article = as_article(Article(text=text))
    n = ArticleText(article)
    candidates = dict(enumerate(find_figures(text), start=1))
    facts = ground_metrics(n, [], candidates, _entities(n, [_institution("常熟银行", "")]))
    changes = [(m.subject, m.name, m.raw, m.period_end, m.metric) for m in facts if m.unit == "%"]
    assert changes == [
        ("常熟银行", "营业收入同比增长", "2.13%", "2020-12-31", MetricKind.other),
        ("常熟银行", "净利润同比增长", "1.01%", "2020-12-31", MetricKind.other),
    ]
    for fact in facts:
        assert all(text[e.start : e.end] == e.text for e in fact.evidence)


def test_a_figure_stated_again_is_one_fact_with_both_places_as_evidence() -> None:
    text = "中国人民银行开展央行票据互换操作，操作量25亿元。原标题：中国人民银行开展央行票据互换操作，操作量25亿元。"
    article = as_article(Article(text=text))
    n = ArticleText(article)
    candidates = dict(enumerate(find_figures(text), start=1))
    labels = [MetricLabel(id=k, subject="中国人民银行", metric=MetricKind.other, name="操作量") for k in candidates]
    bank = InstitutionDraft(name="中国人民银行", type=InstitutionType.central_bank)
    (fact,) = ground_metrics(n, labels, candidates, _entities(n, [bank]))
    assert len(fact.evidence) == 2


def _actions_of(
    text: str, institutions: list[InstitutionDraft], actions: list[ActionDraft]
) -> list[tuple[object, ...]]:
    article = as_article(Article(text=text))
    facts = normalise(article, ArticleDrafts({}, institutions=institutions, actions=actions))
    return [(a.regulator, a.target, a.action.value, len(a.evidence)) for a in facts.regulatory_actions]


def test_an_act_reported_twice_is_one_fact_and_keeps_the_regulator_one_place_names() -> None:
    text = "监管对微众银行开出罚单。银保监会对微众银行罚款120万元。"
    institutions = [_institution("微众银行", ""), InstitutionDraft(name="银保监会", type=InstitutionType.regulator)]
    drafts = [
        ActionDraft(regulator="监管", target="微众银行", action=ActionKind.fine, quote="监管对微众银行开出罚单"),
        ActionDraft(regulator="银保监会", target="微众银行", action=ActionKind.fine, quote="银保监会对微众银行罚款"),
    ]
    assert _actions_of(text, institutions, drafts) == [("银保监会", "微众银行", "fine", 2)]


def test_two_regulators_approving_one_company_are_two_acts() -> None:
    text = "国投电力发行GDR获中国证监会核准。注册文件获得英国金融行为监管局批准。"
    institutions = [
        InstitutionDraft(name="国投电力", type=InstitutionType.other),
        InstitutionDraft(name="中国证监会", type=InstitutionType.regulator),
        InstitutionDraft(name="英国金融行为监管局", type=InstitutionType.regulator),
    ]
    drafts = [
        ActionDraft(regulator="中国证监会", target="国投电力", action=ActionKind.approval, quote="获中国证监会核准"),
        ActionDraft(
            regulator="英国金融行为监管局",
            target="国投电力",
            action=ActionKind.approval,
            quote="获得英国金融行为监管局批准",
        ),
    ]
    assert len(_actions_of(text, institutions, drafts)) == 2


def test_a_self_regulatory_association_acts_and_the_general_word_gives_way_to_a_named_actor() -> None:
    text = "3月6日，中国互联网金融协会发布风险提示，要求会员机构不得违规宣传。"
    association = InstitutionDraft(name="中国互联网金融协会", type=InstitutionType.other)
    draft = ActionDraft(regulator="监管", target="中国互联网金融协会", action=ActionKind.warning, quote="发布风险提示")
    assert _actions_of(text, [association], [draft])[0][:2] == ("中国互联网金融协会", None)


def test_an_inspection_campaign_and_a_prosecution_are_investigations() -> None:
    from extractor.rules import regulatory_act

    assert regulatory_act("决定于2022年在全国范围内组织开展保险资金运用关联交易专项检查") is ActionKind.investigation
    assert regulatory_act("余刚等6人被审查起诉") is ActionKind.investigation


@pytest.mark.parametrize(
    "name",
    ["清华大学教授张某", "首席经济学家", "张某", "某银行", "某国有大行", "北京某律所", "国有大行", "城商行", "农商行"],
)
def test_people_anonymised_parties_and_kinds_of_bank_are_no_institution(name: str) -> None:
    assert is_generic_name(name)


@pytest.mark.parametrize("name", ["常熟农商行", "中国人民大学", "长城资产管理公司", "微众银行"])
def test_named_institutions_are_institutions(name: str) -> None:
    assert not is_generic_name(name)


def test_an_investment_firm_or_asset_manager_is_no_collection_agency() -> None:
    from extractor.rules import checked_type

    assert checked_type("深圳前海投资有限公司", InstitutionType.collection_agency) is InstitutionType.other
    assert checked_type("湖南信息咨询有限公司", InstitutionType.collection_agency) is InstitutionType.collection_agency


def test_a_change_word_in_the_clause_before_is_not_the_next_figures_name() -> None:
    text = "百信银行营业净收入13.18亿元，同比增长64.0%，拨备前利润8.88亿元，同比增长76.9%。"
    n = ArticleText(as_article(Article(text=text)))
    candidates = dict(enumerate(find_figures(text), start=1))
    labels = [MetricLabel(id=k, subject="百信银行", metric=MetricKind.other, name="x") for k in candidates]
    facts = ground_metrics(n, labels, candidates, _entities(n, [_institution("百信银行", "")]))
    names = {m.raw: m.name for m in facts}
    assert names.get("76.9%") == "拨备前利润同比增长" and names.get("8.88亿元") != "同比增长"


def test_an_act_the_model_gave_no_party_is_still_read_from_the_wording() -> None:
    text = "公司不良率攀升。2024年收到超1300万元巨额罚单,直指账户管理、反洗钱等核心合规底线。"
    partyless = ActionDraft(action=ActionKind.fine, quote="2024年收到超1300万元巨额罚单")
    article = as_article(Article(title="微众银行的大考", text=text))
    drafts = ArticleDrafts({}, institutions=[_institution("微众银行", "")], actions=[partyless])
    (fine,) = normalise(article, drafts).regulatory_actions
    assert (fine.target, fine.action, fine.date, fine.amount) == ("微众银行", ActionKind.fine, "2024", 13000000)


def test_a_rule_hoped_into_force_is_not_a_rule_in_force() -> None:
    text = "下一步，银保监会将加强政策宣贯培训，促进《办法》有效落地实施。"
    regulator = InstitutionDraft(name="银保监会", type=InstitutionType.regulator)
    assert _actions_of(text, [regulator], []) == []
    text = "银保监会《办法》自2021年1月1日起施行。"
    assert _actions_of(text, [regulator], [])[0][2] == "rule_effective"


def test_bank_names_after_time_words_and_the_big_banks_short_names_are_institutions() -> None:
    text = "包括6月份以来民生银行和华夏银行新发行的永续债。工行辽宁分行副行长拟出任锦州银行行长，工行的人士称。"
    names = [name for name, _, _ in institution_mentions(text)]
    assert {"民生银行", "华夏银行", "工行"} <= set(names)
    assert "来民生银行" not in names


def test_a_short_bank_name_beside_its_full_name_is_its_alias() -> None:
    text = "中国农业银行发布公告。农行表示将继续支持小微企业。"
    n = ArticleText(as_article(Article(text=text)))
    (bank,) = ground_institutions(n, [InstitutionDraft(name="中国农业银行", type=InstitutionType.bank)])
    assert bank.aliases == ["农行"]


@pytest.mark.parametrize("text", ["其中行长表示", "加工行业增长", "外交行动", "中行业务量"])
def test_a_short_bank_name_inside_another_word_is_none(text: str) -> None:
    assert not any(name in ("中行", "工行", "交行") for name, _, _ in institution_mentions(text))


def test_a_figure_of_an_unlisted_subsidiary_is_the_subsidiarys() -> None:
    text = "百度旗下度小满2024年净利润8.59亿。"
    assert _subjects(text, [_institution("百度", "")], "微粒贷") == {"8.59亿": "度小满"}


def test_a_rules_bound_is_no_ones_figure() -> None:
    text = "财付通小贷获批增资。按监管要求的小贷公司出资比例不低于30%。财付通小贷资本充足率不低于12%。"
    subjects = _subjects(text, [_institution("财付通小贷", "")], "财付通小贷")
    assert subjects == {"不低于30%": None, "不低于12%": "财付通小贷"}


def test_the_models_metric_name_counts_only_in_the_figures_own_clause() -> None:
    text = "微众银行科技人员占比超过50%,累计提交专利申请4000多件。"
    article = as_article(Article(text=text))
    candidates = dict(enumerate(find_figures(text), start=1))
    labels = [MetricLabel(id=k, subject="微众银行", metric=MetricKind.other, name="占比") for k in candidates]
    facts = normalise(article, ArticleDrafts(candidates, institutions=[_institution("微众银行", "")], labels=labels))
    assert {m.raw: m.name for m in facts.metrics} == {"超过50%": "占比", "4000多件": "累计提交专利申请"}


def test_loans_and_complaints_are_no_customer_count() -> None:
    from extractor.rules import unit_fits

    assert not unit_fits(MetricKind.customer_count, "笔")
    assert unit_fits(MetricKind.customer_count, "户")
    assert unit_fits(MetricKind.complaint_count, "条")


def test_products_launched_in_a_list_or_named_as_a_product_in_quotes() -> None:
    text = (
        "上半年，百信银行推出生猪养殖贷、农业供货贷等系列产品，累计放款近7亿元。"
        "其全线上化的“百票贴”产品操作更加便利。主要产品包括个人端的微粒贷及企业端的微众企业+。"
    )
    names = [name for name, _, _, _ in listed_products(text)]
    assert names == ["微粒贷", "微众企业+", "生猪养殖贷", "农业供货贷", "百票贴"]
    for name, start, end, _ in listed_products(text):
        assert text[start:end] == name


@pytest.mark.parametrize(
    ("name", "kind"),
    [("生猪养殖贷", ProductType.sme_loan), ("农业供货贷", ProductType.sme_loan), ("百票贴", ProductType.sme_loan)],
)
def test_farm_supply_and_bill_discount_loans_are_business_loans(name: str, kind: ProductType) -> None:
    from extractor.rules import product_type_from_name

    assert product_type_from_name(name) is kind


def test_a_sectors_figure_a_regulator_reports_is_not_the_regulators() -> None:
    regulator = InstitutionDraft(name="银保监会", type=InstitutionType.regulator)
    text = "银保监会数据显示，一季度末商业银行不良贷款率为1.96%。银保监会今年预算为2.5亿元。"
    assert _subjects(text, [regulator], "银保监会") == {"1.96%": None, "2.5亿元": "银保监会"}


def test_changes_written_after_a_figure_in_their_usual_forms() -> None:
    text = "2020年，郑州银行净利差2.46%，较上年同期增加0.17个百分点；实现利息收入238.93亿元，增幅为10.66%。"
    n = ArticleText(as_article(Article(text=text)))
    candidates = dict(enumerate(find_figures(text), start=1))
    facts = ground_metrics(n, [], candidates, _entities(n, [_institution("郑州银行", "")]))
    assert [(m.name, m.raw, m.period_end) for m in facts] == [
        ("净利差", "2.46%", "2020-12-31"),
        ("净利差较上年同期增加", "0.17个百分点", "2020-12-31"),
        ("利息收入", "238.93亿元", "2020-12-31"),
        ("利息收入增幅", "10.66%", "2020-12-31"),
    ]
    assert {m.metric for m in facts} == {MetricKind.other}  # interest income is no revenue


@pytest.mark.parametrize(
    ("name", "expected"),
    [("郑州银行净利差", "净利差"), ("州银行成本收入比", "成本收入比"), ("银行卡发卡量", "银行卡发卡量")],
)
def test_a_metric_name_leaves_out_its_subject(name: str, expected: str) -> None:
    from extractor.rules import without_names

    assert without_names(name, ["郑州银行", "招商银行"]) == expected


def test_a_positioning_a_bank_aims_at_is_no_bank() -> None:
    text = "郑州银行聚焦“商贸物流银行、中小企业金融服务专家、精品市民银行”三大定位，办好老百姓信赖的“市民银行”。"
    n = ArticleText(as_article(Article(text=text)))
    drafts = [InstitutionDraft(name=name, type=InstitutionType.bank) for name in ("郑州银行", "精品市民银行")]
    assert [i.name for i in ground_institutions(n, drafts)] == ["郑州银行"]


def test_a_product_named_inside_an_institutions_name_is_that_institution() -> None:
    text = "上海永利宝金融信息服务有限公司涉嫌集资诈骗。永利宝、火理财集资诈骗案移交检察院。其产品包括微众企业+。"
    n = ArticleText(as_article(Article(text=text)))
    firm = InstitutionDraft(name="上海永利宝金融信息服务有限公司", type=InstitutionType.fintech_platform)
    entities = _entities(n, [firm])
    drafts = [
        ProductDraft(name="永利宝", type=ProductType.consumer_loan),
        ProductDraft(name="微众企业+", type=ProductType.consumer_loan),
    ]
    products = {p.name: p.type for p in ground_products(n, drafts, entities)}
    assert products == {"微众企业+": ProductType.other}  # and nothing in 微众企业+ lends


def test_a_brand_and_the_company_that_runs_it_are_one_institution() -> None:
    text = "近日，滴滴金融用户已过千万。滴滴金融运营主体为滴滴金科(北京)信息服务有限公司。"
    n = ArticleText(as_article(Article(text=text)))
    drafts = [
        InstitutionDraft(name="滴滴金融", type=InstitutionType.fintech_platform),
        InstitutionDraft(name="滴滴金科(北京)信息服务有限公司", type=InstitutionType.other),
    ]
    (one,) = ground_institutions(n, drafts)
    assert (one.name, one.aliases) == ("滴滴金科(北京)信息服务有限公司", ["滴滴金融"])


def test_a_line_that_names_no_one_gives_its_figures_to_no_one() -> None:
    text = "江苏证监局对宝源胜知投资罚款70万元。\n95%的股票都在涨\n宝源胜知投资回应称已整改。"
    subjects = _subjects(text, [_institution("宝源胜知投资", "")], "宝源胜知投资")
    assert subjects["95%"] is None


def test_the_banking_sector_is_not_bank_of_china() -> None:
    text = "记者日前获悉，中国银行业已连续两年处置不良资产超3万亿元。"
    n = ArticleText(as_article(Article(text=text)))
    assert ground_institutions(n, [InstitutionDraft(name="中国银行", type=InstitutionType.bank)]) == []
    assert ground_institutions(n, []) == []  # nor does the bank-name rule find it


def test_a_figure_after_an_owner_and_its_affiliate_is_the_affiliates() -> None:
    text = "近日，哈啰出行关联公司上海钧正网络科技有限公司发生工商变更，注册资本由35亿人民币增至44亿人民币。"
    firms = [_institution("哈啰出行", ""), _institution("上海钧正网络科技有限公司", "")]
    assert set(_subjects(text, firms, "哈啰出行").values()) == {"上海钧正网络科技有限公司"}


def test_a_profit_warning_is_no_regulatory_warning_and_working_days_are_no_figure() -> None:
    from extractor.rules import regulatory_act

    assert regulatory_act("锦州银行昨天发布盈利警告，预期2018年将净亏损40亿-50亿元") is None
    assert regulatory_act("证监局对其给予警告并处以罚款") is not None
    assert [c.raw for c in find_figures("应当于通报发布之日起15个工作日内完成整改")] == []


@pytest.mark.parametrize("name", ["宁波", "苏州市", "上海", "浙江省"])
def test_a_place_alone_is_no_institution(name: str) -> None:
    assert is_generic_name(name)


def test_an_approval_given_as_background_is_no_act() -> None:
    text = "招联消费金融有限公司是经中国银监会批准设立的持牌消费金融机构。"
    firm = InstitutionDraft(name="招联消费金融有限公司", type=InstitutionType.consumer_finance_company)
    regulator = InstitutionDraft(name="中国银监会", type=InstitutionType.regulator)
    draft = ActionDraft(
        regulator="中国银监会", target="招联消费金融有限公司", action=ActionKind.approval, quote="批准设立"
    )
    assert _actions_of(text, [firm, regulator], [draft]) == []


def test_a_line_of_insurance_is_no_product() -> None:
    from extractor.rules import is_not_a_product

    assert is_not_a_product("车险", "车险车均保费下降20%")
    assert not is_not_a_product("百万医疗险", "推出百万医疗险")


def test_in_a_digest_each_items_figures_stay_with_the_item_it_names() -> None:
    text = "网利宝逾期，CEO宣布兜底。\n新浪易融服务用户超过840万人。\n数量上，9天前被点名的App有33家。"
    firms = [_institution("网利宝", ""), _institution("新浪易融", "")]
    subjects = _subjects(text, firms, "网利宝")
    assert subjects == {"超过840万人": "新浪易融", "33家": None}


def test_an_authority_by_its_short_name_acts_or_is_the_full_names_alias() -> None:
    text = "9月3日，工信部对北京陌陌科技有限公司进行问询约谈。印度央行出台新政。"
    n = ArticleText(as_article(Article(text=text)))
    firm = InstitutionDraft(name="北京陌陌科技有限公司", type=InstitutionType.tech_company)
    found = {i.name: i.type for i in ground_institutions(n, [firm])}
    assert found.get("工信部") is InstitutionType.government_agency
    assert "央行" not in found  # 印度央行 is India's central bank, not a short name standing alone
    text = "中国人民银行发布报告。央行表示将保持流动性合理充裕。"
    n = ArticleText(as_article(Article(text=text)))
    (bank,) = ground_institutions(n, [InstitutionDraft(name="中国人民银行", type=InstitutionType.central_bank)])
    assert "央行" in bank.aliases


def test_a_person_by_title_and_surname_is_no_institution() -> None:
    assert is_generic_name("猎头李女士")


def test_statistics_a_regulator_reports_are_the_sectors() -> None:
    regulator = InstitutionDraft(name="银保监会", type=InstitutionType.regulator)
    text = "银保监会最新统计数据显示，车险综改以来89%的消费者保费下降。"
    assert _subjects(text, [regulator], "银保监会") == {"89%": None}


def test_an_act_whose_regulator_the_model_left_out_takes_the_authority_its_sentence_names() -> None:
    text = "9月3日，工信部对北京陌陌科技有限公司进行问询约谈。"
    firm = InstitutionDraft(name="北京陌陌科技有限公司", type=InstitutionType.tech_company)
    draft = ActionDraft(target="北京陌陌科技有限公司", action=ActionKind.warning, quote="进行问询约谈")
    assert _actions_of(text, [firm], [draft])[0][:3] == ("工信部", "北京陌陌科技有限公司", "warning")


@pytest.mark.parametrize(
    ("name", "generic"),
    [("北京工商大学保险研究中心主任王绪瑾", True), ("360旗下公司", True), ("博源(北京)律师事务所", False)],
)
def test_a_person_after_a_title_and_a_phrase_with_an_owner_are_no_institution(name: str, generic: bool) -> None:
    assert is_generic_name(name) is generic


@pytest.mark.parametrize("name", ["平安产险", "中国人寿", "众安在线财产保险股份有限公司"])
def test_insurers_are_other(name: str) -> None:
    from extractor.rules import institution_type_from_name

    assert institution_type_from_name(name) is InstitutionType.other


def test_a_phrase_the_model_gives_as_a_subject_is_no_entity_and_an_event_no_institution() -> None:
    text = "中国人保集团表示，美国农业保险市场收入保险占比90%。"
    subjects = _subjects(text, [_institution("中国人保集团", "")], "美国农业保险市场收入保险占比")
    assert subjects["90%"] != "美国农业保险市场收入保险占比"
    assert is_generic_name("新浪金麒麟保险高峰论坛暨2021慧保天下保险大会")
