"""English articles through the rules and the normaliser, without a model.

Metric keywords and institution names are checked on phrases as results releases,
filings and enforcement notices write them (Bank of China, ICBC, Hang Seng Bank, Qifu
Technology, Yatsen, FCA, SEC, RBI); the two whole paragraphs are written for the test.
"""

from __future__ import annotations

import pytest

from extractor.drafts import ActionDraft, ArticleDrafts, InstitutionDraft, MetricLabel
from extractor.models import ActionKind, Article, InstitutionType, MetricKind, as_article
from extractor.normalise import ArticleText, EntityIndex, ground_institutions, normalise, rule_actions
from extractor.numbers import find_figures
from extractor.rules import (
    country_from_name,
    institution_mentions,
    institution_type_from_name,
    metric_from_context,
    parenthesised_alias,
    reasons_in,
    regulatory_act,
)

# (text, figure, the metric and its name as written, or None)
KEYWORDS = [
    ("The non-performing loan ratio for 2023 was 1.32%", "1.32%", (MetricKind.npl_ratio, "non-performing loan ratio")),
    (
        "Non-performing loans (“NPLs”) ratio 1.34%",
        "1.34%",
        (MetricKind.npl_ratio, "Non-performing loans (“NPLs”) ratio"),
    ),
    ("Its NPL ratio edged up to 1.5%", "1.5%", (MetricKind.npl_ratio, "NPL ratio")),
    ("the impaired loan ratio of 5.32%", "5.32%", (MetricKind.npl_ratio, "impaired loan ratio")),
    (
        "The coverage ratio for non-performing loans improved to 191.66%",
        "191.66%",
        (MetricKind.provision_coverage_ratio, "coverage ratio for non-performing loans"),
    ),
    (
        "Provision coverage ratio was 245.21%",
        "245.21%",
        (MetricKind.provision_coverage_ratio, "Provision coverage ratio"),
    ),
    (
        "Common equity tier 1 capital adequacy ratio 14.10%",
        "14.10%",
        (MetricKind.capital_adequacy_ratio, "capital adequacy ratio"),
    ),
    ("a CET1 ratio of 13.2%", "13.2%", (MetricKind.capital_adequacy_ratio, "CET1 ratio")),
    (
        "The net profit attributable to shareholders for 2023 was RMB 231,904 million",
        "RMB 231,904 million",
        (MetricKind.net_profit, "net profit attributable"),
    ),
    (
        "Net income attributable to HUYA Inc. was RMB12.1 million",
        "RMB12.1 million",
        (MetricKind.net_profit, "Net income"),
    ),
    (
        "Net loss for the second quarter of 2024 was RMB85.5 million",
        "RMB85.5 million",
        (MetricKind.net_loss, "Net loss"),
    ),
    (
        "The operating income for 2023 was RMB 586,461 million",
        "RMB 586,461 million",
        (MetricKind.revenue, "operating income"),
    ),
    ("Total net revenues decreased by 7.5% to RMB794.5 million", "RMB794.5 million", (MetricKind.revenue, "revenues")),
    (
        "Total assets as of 30 June 2024 were HK$875,217 million",
        "HK$875,217 million",
        (MetricKind.total_assets, "Total assets"),
    ),
    (
        "Total outstanding loan balance was RMB189,100 million",
        "RMB189,100 million",
        (MetricKind.loan_balance, "loan balance"),
    ),
    ("its loan book grew to £3.2bn", "£3.2bn", (MetricKind.loan_balance, "loan book")),
    (
        "Total facilitation and origination loan volume reached RMB123,148 million",
        "RMB123,148 million",
        (MetricKind.loan_volume, "loan volume"),
    ),
    ("registered capital of RMB 5 billion", "RMB 5 billion", (MetricKind.registered_capital, "registered capital")),
    ("The FCA fined Guaranty Trust Bank £7.67m", "£7.67m", (MetricKind.fine_amount, "fined")),
    ("the bank agreed to a $500 million civil penalty", "$500 million", (MetricKind.fine_amount, "penalty")),
    ("a monetary penalty of Rs 1 crore on the State Bank of India", "Rs 1 crore", (MetricKind.fine_amount, "penalty")),
    (
        "Cumulative borrowers with successful drawdown was 29.4 million",
        "29.4 million",
        (MetricKind.customer_count, "borrowers"),
    ),
    ("connected 227.9 million consumers", "227.9 million", (MetricKind.customer_count, "consumers")),
    (
        "served more than 400 million individual customers",
        "more than 400 million",
        (MetricKind.customer_count, "individual customers"),
    ),
    (
        "the one-year loan prime rate fell to 3.45 percent",
        "3.45 percent",
        (MetricKind.interest_rate, "loan prime rate"),
    ),
    ("net interest margin widened by 20 basis points", "20 basis points", None),  # no keyword names it
    ("a defined benefit plan of $5 million", "$5 million", None),  # "fine" in "defined" is none
    ("The NPL ratio was 1.5% and its revenue rose to RMB 2 billion", "RMB 2 billion", (MetricKind.revenue, "revenue")),
]


@pytest.mark.parametrize(("text", "figure", "expected"), KEYWORDS, ids=[k[0][:40] for k in KEYWORDS])
def test_english_metric_keywords(text: str, figure: str, expected: tuple[MetricKind, str] | None) -> None:
    (candidate,) = [c for c in find_figures(text) if c.raw == figure]
    spans = [(c.start, c.end) for c in find_figures(text)]
    found = metric_from_context(text, candidate.start, candidate.end, candidate.figure.unit, figures=spans)
    assert found == expected
    assert metric_from_context(text, candidate.start, candidate.end, candidate.figure.unit) == expected
    if found is not None:
        assert found[1] in text  # the name as the article writes it


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            "Shares of China Merchants Bank rose; Industrial and Commercial Bank of China fell.",
            ["China Merchants Bank", "Industrial and Commercial Bank of China"],
        ),
        (
            "On Monday Ping An Bank's unit and WeBank, MYbank and aiBank reported.",
            ["Ping An Bank", "WeBank", "MYbank", "aiBank"],
        ),
        (
            "Mashang Consumer Finance Co., Ltd. and Bank of Communications",
            ["Mashang Consumer Finance", "Bank of Communications"],
        ),
        (
            "The bank, state-owned banks and the central bank; the Consumer Financial Protection Bureau.",
            ["Consumer Financial Protection Bureau"],
        ),
        (
            "Ally Financial and Reserve Bank of India. The FCA fined Al Rayan Bank PLC.",
            ["Ally Financial", "Reserve Bank of India", "FCA", "Al Rayan Bank"],
        ),
        ("The People's Bank of China (PBOC) and the CBIRC", ["People's Bank of China", "PBOC", "CBIRC"]),
        (
            "fined the State Bank of India under 'Reserve Bank of India (Frauds) Directions'",
            ["State Bank of India", "Reserve Bank of India"],
        ),
        ("据悉,兴业银行、网商银行与中融小贷均已回应。", ["兴业银行", "网商银行", "中融小贷"]),
    ],
)
def test_english_institution_mentions(text: str, names: list[str]) -> None:
    found = institution_mentions(text)
    assert [name for name, _, _ in found] == names
    assert all(text[start:end] == name for name, start, end in found)


@pytest.mark.parametrize(
    ("name", "kind", "country"),
    [
        ("Bank of China", InstitutionType.bank, "CN"),
        ("China Merchants Bank", InstitutionType.bank, "CN"),
        ("Hang Seng Bank", InstitutionType.bank, None),
        ("WeBank", InstitutionType.internet_bank, None),
        ("Sichuan XW Bank", InstitutionType.internet_bank, None),
        ("People's Bank of China", InstitutionType.central_bank, "CN"),
        ("PBOC", InstitutionType.central_bank, "CN"),
        ("Reserve Bank of India", InstitutionType.central_bank, "IN"),
        ("RBI", InstitutionType.central_bank, "IN"),
        ("HKMA", InstitutionType.central_bank, "HK"),
        ("Bank of England", InstitutionType.central_bank, "GB"),
        ("Federal Reserve", InstitutionType.central_bank, "US"),
        ("National Financial Regulatory Administration", InstitutionType.regulator, "CN"),
        ("CBIRC", InstitutionType.regulator, "CN"),
        ("CSRC", InstitutionType.regulator, "CN"),
        ("the SEC", InstitutionType.regulator, "US"),
        ("Financial Conduct Authority", InstitutionType.regulator, "GB"),
        ("SFC", InstitutionType.regulator, "HK"),
        ("Dongguan Financial Regulatory Bureau", InstitutionType.regulator, None),
        ("Consumer Financial Protection Bureau", InstitutionType.regulator, "US"),
        ("Mashang Consumer Finance", InstitutionType.consumer_finance_company, None),
        ("Chongqing Ant Microcredit", InstitutionType.microlender, None),
        ("High Court", InstitutionType.court, None),
        ("MASTERCARD", None, None),  # "MAS" inside a word is no central bank
        ("Secure Lending", None, None),  # nor "SEC"
    ],
)
def test_english_institution_types_and_countries(name: str, kind: InstitutionType | None, country: str | None) -> None:
    assert institution_type_from_name(name) is kind
    assert country_from_name(name) == country


@pytest.mark.parametrize(
    ("text", "name", "alias"),
    [
        ("微众银行(WeBank)是", "微众银行", "WeBank"),
        ("微众银行（WeBank）是", "微众银行", "WeBank"),
        ("WeBank (微众银行) said", "WeBank", "微众银行"),
        ("360数科(360 DigiTech)", "360数科", "360 DigiTech"),
        ("the Financial Conduct Authority (FCA) fined", "Financial Conduct Authority", "FCA"),
        ("金融壹账通（NYSE:OCFT）发布", "金融壹账通", None),  # a ticker
        ("蚂蚁集团(6688.HK)暂缓上市", "蚂蚁集团", None),
        ("微众银行（以下简称“微众”）", "微众银行", None),  # a Chinese short name: the model's to report
    ],
)
def test_the_other_script_in_parentheses_is_an_alias(text: str, name: str, alias: str | None) -> None:
    start = text.index(name)
    found = parenthesised_alias(text, start, start + len(name))
    assert (found[0] if found else None) == alias
    if found:
        assert text[found[1] : found[2]] == alias


def test_a_bilingual_name_is_one_institution_on_both_paths() -> None:
    """微众银行(WeBank) found by the rules alone, and named by the model, is one
    institution with the other name as its alias; figures in either script are about it."""
    text = "微众银行(WeBank)2024年净利润为US$1.2 billion，WeBank的不良贷款率为1.44%。"
    article = as_article(Article(title="WeBank results", published_at="2025-03-30", text=text))
    by_rules = ground_institutions(ArticleText(article), [])
    assert [(i.name, i.aliases, i.type) for i in by_rules] == [("微众银行", ["WeBank"], InstitutionType.internet_bank)]
    drafted = InstitutionDraft(name="WeBank", type=InstitutionType.internet_bank, quote="WeBank")
    by_model = ground_institutions(ArticleText(article), [drafted])
    assert [(i.name, i.aliases) for i in by_model] == [("WeBank", ["微众银行"])]
    facts = normalise(article, ArticleDrafts(candidates=dict(enumerate(find_figures(text), start=1))))
    by_raw = {m.raw: m for m in facts.metrics}
    profit, npl = by_raw["US$1.2 billion"], by_raw["1.44%"]
    assert (profit.subject, profit.metric, profit.value, profit.unit) == (
        "微众银行",
        MetricKind.net_profit,
        1.2e9,
        "USD",
    )
    assert (profit.period_start, profit.period_end) == ("2024-01-01", "2024-12-31")
    assert (npl.subject, npl.metric) == ("微众银行", MetricKind.npl_ratio)


RESULTS = (
    "WeBank (微众银行) reported a net profit of RMB 10.9 billion for 2024, up 8% from a year earlier. "
    "As of December 31, 2024, its non-performing loan ratio was 1.44%, and its capital adequacy ratio stood at 12.9%. "
    "Total assets reached RMB 1.2 trillion at the end of 2024, compared with RMB 1.1 trillion a year earlier. "
    "In the first half of 2025, revenue rose 5% to RMB 20.3 billion from RMB 19.3 billion in the same period of 2024. "
    "The bank served more than 400 million individual customers."
)


def test_an_english_results_paragraph() -> None:
    """Every figure's metric, subject, unit and period from the words around it: the period
    written after the figure (for 2024, a year earlier, in the same period of 2024) is the
    figure's own, read against the sentence's."""
    article = as_article(Article(title="WeBank 2024 results", published_at="2025-08-30", text=RESULTS))
    assert article.language == "en"
    candidates = dict(enumerate(find_figures(RESULTS), start=1))
    drafts = ArticleDrafts(
        candidates=candidates,
        institutions=[InstitutionDraft(name="WeBank", type=InstitutionType.internet_bank, quote="WeBank")],
    )
    facts = normalise(article, drafts)
    assert [(i.name, i.aliases) for i in facts.institutions] == [("WeBank", ["微众银行"])]
    got = [(m.metric, m.value, m.unit, m.qualifier.value, m.period_start, m.period_end) for m in facts.metrics]
    assert got == [
        (MetricKind.net_profit, 10.9e9, "CNY", "exact", "2024-01-01", "2024-12-31"),
        (MetricKind.npl_ratio, 1.44, "%", "exact", "2024-12-31", "2024-12-31"),
        (MetricKind.capital_adequacy_ratio, 12.9, "%", "exact", "2024-12-31", "2024-12-31"),
        (MetricKind.total_assets, 1.2e12, "CNY", "exact", "2024-12-31", "2024-12-31"),
        (MetricKind.total_assets, 1.1e12, "CNY", "exact", "2023-12-31", "2023-12-31"),
        (MetricKind.revenue, 20.3e9, "CNY", "exact", "2025-01-01", "2025-06-30"),
        (MetricKind.revenue, 19.3e9, "CNY", "exact", "2024-01-01", "2024-06-30"),
        (MetricKind.customer_count, 4e8, "count", "over", None, None),
    ]
    assert {m.subject for m in facts.metrics} == {"WeBank"}
    for metric in facts.metrics:
        (evidence,) = metric.evidence
        assert RESULTS[evidence.start : evidence.end] == evidence.text
        assert metric.raw in evidence.text and "." not in evidence.text.rstrip(".")[-2:]  # one sentence


FINE = (
    "The Financial Conduct Authority (FCA) fined Guaranty Trust Bank £7.67m on 10 January 2023 for serious "
    "weaknesses in its anti-money laundering systems. The regulator said the bank failed to monitor transactions."
)


def test_an_english_fine_from_its_wording() -> None:
    """The act, its regulator (named, or by its acronym), its target (never the regulator),
    the amount in pounds, the date and the grounds, with no model."""
    article = as_article(Article(title="FCA fines GT Bank", published_at="2023-01-12", text=FINE))
    facts = normalise(article, ArticleDrafts(candidates=dict(enumerate(find_figures(FINE), start=1))))
    assert [(i.name, i.aliases, i.type, i.country) for i in facts.institutions] == [
        ("Financial Conduct Authority", ["FCA"], InstitutionType.regulator, "GB"),
        ("Guaranty Trust Bank", [], InstitutionType.bank, None),
    ]
    (fine,) = facts.regulatory_actions
    assert (fine.regulator, fine.target, fine.action) == (
        "Financial Conduct Authority",
        "Guaranty Trust Bank",
        ActionKind.fine,
    )
    assert (fine.amount, fine.currency, fine.date) == (7670000, "GBP", "2023-01-10")
    assert fine.reasons == ["its anti-money laundering systems"]
    (amount,) = facts.metrics
    assert (amount.subject, amount.metric, amount.value, amount.unit) == (
        "Guaranty Trust Bank",
        MetricKind.fine_amount,
        7670000,
        "GBP",
    )


def test_the_acronym_alone_names_the_regulator_of_an_act() -> None:
    text = "The Financial Conduct Authority finished its review. The FCA fined the lender £4.02m in 2023."
    n = ArticleText(as_article(Article(title="Al Rayan Bank", text=text)))
    regulator = InstitutionDraft(
        name="Financial Conduct Authority", aliases=["FCA"], type=InstitutionType.regulator, quote="FCA"
    )
    lender = InstitutionDraft(name="Al Rayan Bank", type=InstitutionType.bank, quote="the lender")
    entities = EntityIndex.of_institutions(ground_institutions(n, [regulator, lender]), n.article.title)
    (fine,) = rule_actions(n, [], entities)
    assert (fine.regulator, fine.target, fine.amount, fine.currency, fine.date) == (
        "Financial Conduct Authority",
        "Al Rayan Bank",
        4020000,
        "GBP",
        "2023",
    )


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("The RBI imposed a monetary penalty of Rs 2 crore on RBL Bank", ActionKind.fine),
        ("The bank agreed to pay a civil penalty of $500 million", ActionKind.fine),
        ("The regulator revoked the lender's licence", ActionKind.license_revocation),
        ("The CBIRC approved the bank's capital increase", ActionKind.approval),
        ("The board approved the final dividend", None),  # no regulator approves
        ("The new rules take effect on October 1", ActionKind.rule_effective),
        ("The NFRA issued draft rules on consumer finance companies", ActionKind.new_rule),
        ("The FCA banned the bank from accepting deposits from new customers", ActionKind.business_restriction),
        ("The SEC opened an investigation into the lender", ActionKind.investigation),
        ("Net profit rose 5% to RMB 1.2 billion", None),
    ],
)
def test_english_act_wording(sentence: str, kind: ActionKind | None) -> None:
    assert regulatory_act(sentence) is kind


def test_english_reasons() -> None:
    sentence = "The RBI imposed a penalty on the bank for non-compliance with the directions on fraud reporting."
    assert reasons_in(sentence) == ["the directions on fraud reporting"]
    assert reasons_in("The FCA fined the bank £7.67m.") == []


def test_english_generic_and_self_words() -> None:
    """ "regulators" is no institution; "the Company" is the article's own subject."""
    text = "Qifu Technology said net income was RMB 1.2 billion. Regulators welcomed it."
    article = as_article(Article(title="Qifu Technology results", text=text))
    candidates = dict(enumerate(find_figures(text), start=1))
    (number,) = [n for n, c in candidates.items() if c.raw == "RMB 1.2 billion"]
    drafts = ArticleDrafts(
        candidates=candidates,
        institutions=[
            InstitutionDraft(name="Qifu Technology", type=InstitutionType.fintech_platform, quote="Qifu Technology"),
            InstitutionDraft(name="Regulators", type=InstitutionType.regulator, quote="Regulators welcomed it"),
        ],
        labels=[MetricLabel(id=number, subject="the Company", metric=MetricKind.net_profit, name="net income")],
    )
    facts = normalise(article, drafts)
    assert [i.name for i in facts.institutions] == ["Qifu Technology"]
    assert [(m.subject, m.metric) for m in facts.metrics] == [("Qifu Technology", MetricKind.net_profit)]
    assert any("generic" in w and "Regulators" in w for w in facts.warnings)


def test_a_yen_amount_takes_its_currency_from_the_article() -> None:
    """¥ in a Chinese article is the yuan, in an action's amount as in a figure."""
    text = "微众银行因违反反洗钱规定被罚款¥500万元以上，另被警告。监管部门称，该行罚款¥300万。"
    article = as_article(Article(title="微众银行被罚", text=text))
    n = ArticleText(article)
    entities = EntityIndex.of_institutions(
        ground_institutions(
            n, [InstitutionDraft(name="微众银行", type=InstitutionType.internet_bank, quote="微众银行")]
        ),
        article.title,
    )
    fines = rule_actions(n, [], entities)
    assert [(a.amount, a.currency) for a in fines] == [(5e6, "CNY"), (3e6, "CNY")]
    action = ActionDraft(
        regulator="监管部门",
        target="微众银行",
        action=ActionKind.fine,
        summary="罚款",
        amount="¥300万",
        quote="该行罚款¥300万",
    )
    facts = normalise(article, ArticleDrafts(candidates=dict(enumerate(find_figures(text), start=1)), actions=[action]))
    assert (facts.regulatory_actions[0].amount, facts.regulatory_actions[0].currency) == (3e6, "CNY")


def test_a_figure_restated_in_another_currency_is_one_fact() -> None:
    """Results releases give each figure in US dollars too, in parentheses: that is the same
    fact, not a second one (also in Chinese: 60亿元人民币（8.71亿美元）)."""
    text = (
        "Yatsen Holding said total net revenues for the second quarter of 2024 decreased by 7.5% to RMB794.5 million"
        " (US$109.3 million). 网商银行拟集资60亿元人民币（8.71亿美元）。"
    )
    article = as_article(Article(title="Yatsen results", text=text))
    drafts = ArticleDrafts(
        candidates=dict(enumerate(find_figures(text), start=1)),
        institutions=[
            InstitutionDraft(name="Yatsen Holding", type=InstitutionType.other, quote="Yatsen Holding"),
            InstitutionDraft(name="网商银行", type=InstitutionType.internet_bank, quote="网商银行"),
        ],
    )
    metrics = normalise(article, drafts).metrics
    assert [(m.raw, m.unit) for m in metrics] == [("RMB794.5 million", "CNY")]


def test_a_fine_whose_target_follows_the_figure() -> None:
    """English writes the fined party after the amount: a penalty of Rs 1 crore on the
    State Bank of India; the regulator named before it is never the subject."""
    text = (
        "The Reserve Bank of India (RBI) on Monday imposed a monetary penalty of Rs 1 crore on the State Bank of India."
    )
    article = as_article(Article(title="RBI penalty", published_at="2021-10-18", text=text))
    facts = normalise(article, ArticleDrafts(candidates=dict(enumerate(find_figures(text), start=1))))
    (amount,) = facts.metrics
    assert (amount.subject, amount.metric, amount.value, amount.unit) == (
        "State Bank of India",
        MetricKind.fine_amount,
        1e7,
        "INR",
    )
    (fine,) = facts.regulatory_actions
    assert (fine.regulator, fine.target, fine.amount, fine.currency) == (
        "Reserve Bank of India",
        "State Bank of India",
        1e7,
        "INR",
    )
