//! Campaign copy from the language model, grounded by construction: the model writes only the
//! free text of a message (subject idea, opening, why the picked products suit this customer,
//! closing) and picks which supplied product leads, as schema-constrained JSON whose strings
//! cannot hold a digit, a currency sign, a percent sign, brackets or an address, nor the words
//! the validators reject in free text (offer talk, "I", forbidden claims: the decoder enforces
//! them through `x-forbidden-words`, from the validators' own list), and whose product choice
//! is an `enum` of the supplied titles. The engine then assembles the message
//! around it with every fact (`recur_campaign::assemble`), and the validators check the
//! result. The prompt carries the customer's situation (segment, days since the last order,
//! orders so far, favourite category, where the products come from, the kind of offer), never
//! a name, e-mail, phone, address or customer id.
//!
//! Every draft starts with the same instructions and worked example, so a local model keeps
//! them cached and runs only the customer's part of the prompt.

use recur_campaign::{Facts, Format, FreeText, Language, ProductSource, Rules, Violation};
use recur_core::Segment;
use recur_llm::{Generate, JsonSchema, Message, SamplingParams};

/// The longest opening an SMS or push message has room for, in characters.
fn short_text_room(facts: &Facts, format: Format, rules: &Rules) -> usize {
    let base = recur_campaign::assemble(&FreeText::default(), facts, format);
    let limit = match format {
        // Chinese text needs Unicode (70 characters); English stays in GSM-7 (160) unless the
        // facts already leave it.
        Format::Sms if facts.language == Language::Zh => rules.max_body.min(70),
        Format::Sms => rules.max_body.min(recur_campaign::sms_limit(&base.body)),
        _ => rules.max_body,
    };
    // A space or full stop joins the opening to the rest.
    limit.saturating_sub(base.body.chars().count() + 2)
}

/// The JSON schema of the free text for `facts` in `format`: lengths from the rules, the
/// forbidden characters and words, the lead product as an enum of the supplied titles. None when the
/// format leaves no room for free text (an SMS whose facts fill it).
pub fn free_text_schema(facts: &Facts, format: Format, rules: &Rules) -> Option<JsonSchema> {
    let pattern = recur_campaign::free_text_pattern(facts.language);
    let words = rules.free_text_forbidden_words(facts.language);
    let zh = facts.language == Language::Zh;
    let text = |min: usize, max: usize| {
        serde_json::json!({"type": "string", "minLength": min, "maxLength": max, "pattern": pattern,
            "x-forbidden-words": words, "x-max-capitals": 5})
    };
    let mut props = serde_json::Map::new();
    let mut required: Vec<&str> = Vec::new();
    match format {
        Format::Email => {
            props.insert(
                "subject".into(),
                text(if zh { 4 } else { 8 }, rules.max_subject.min(60)),
            );
            props.insert("opening".into(), text(if zh { 6 } else { 12 }, 200));
            required.extend(["subject", "opening"]);
            if !facts.products.is_empty() {
                let titles: Vec<&str> = facts.products.iter().map(|p| p.title.as_str()).collect();
                props.insert("lead".into(), serde_json::json!({"enum": titles}));
                props.insert("reason".into(), text(if zh { 6 } else { 12 }, 200));
                required.extend(["lead", "reason"]);
            }
            props.insert("closing".into(), text(2, 32));
            required.push("closing");
        }
        Format::Sms | Format::Push => {
            if format == Format::Push {
                props.insert(
                    "subject".into(),
                    text(if zh { 4 } else { 8 }, rules.max_subject),
                );
                required.push("subject");
            }
            let room = short_text_room(facts, format, rules).min(120);
            let min = if zh { 4 } else { 10 };
            if room < min {
                return None;
            }
            props.insert("opening".into(), text(min, room));
            required.push("opening");
        }
    }
    let schema = serde_json::json!({"type": "object", "required": required, "properties": props});
    JsonSchema::from_value(&schema).ok()
}

fn segment_situation(segment: Segment, zh: bool) -> &'static str {
    match (segment, zh) {
        (Segment::Champions, false) => "one of the shop's best customers: buys often and recently",
        (Segment::Loyal, false) => "a loyal regular customer",
        (Segment::PotentialLoyalists, false) => "a recent customer who could become a regular",
        (Segment::New, false) => "a new customer who bought for the first time recently",
        (Segment::Promising, false) => "a recent customer who has bought a little",
        (Segment::NeedAttention, false) => "an average customer who needs a reason to come back",
        (Segment::AboutToSleep, false) => "a customer who is drifting away",
        (Segment::AtRisk, false) => "a valuable customer who has not bought for a while",
        (Segment::CantLoseThem, false) => {
            "one of the shop's most valuable customers, gone quiet for a long time"
        }
        (Segment::Hibernating, false) => "a customer who has not bought for a long time",
        (Segment::Lost, false) => "a customer who has not bought for a very long time",
        (Segment::Champions, true) => "店里最好的顾客之一，经常购买",
        (Segment::Loyal, true) => "忠实的老顾客",
        (Segment::PotentialLoyalists, true) => "有望成为常客的新近顾客",
        (Segment::New, true) => "最近第一次购买的新顾客",
        (Segment::Promising, true) => "最近买过一点的顾客",
        (Segment::NeedAttention, true) => "需要一个理由再回来的普通顾客",
        (Segment::AboutToSleep, true) => "正在慢慢流失的顾客",
        (Segment::AtRisk, true) => "很久没有购买的重要顾客",
        (Segment::CantLoseThem, true) => "沉寂已久的最重要顾客",
        (Segment::Hibernating, true) => "很久没有购买的顾客",
        (Segment::Lost, true) => "非常久没有购买的顾客",
    }
}

fn source_reason(source: ProductSource, zh: bool) -> &'static str {
    match (source, zh) {
        (ProductSource::Recommended, false) => {
            "chosen by the shop from what they bought and viewed"
        }
        (ProductSource::FavouriteCategory, false) => "best sellers of their favourite category",
        (ProductSource::PastPurchases, false) => "products they bought before and may need again",
        (ProductSource::ShopBestSellers, false) => "the shop's most popular products",
        (ProductSource::Recommended, true) => "根据顾客的购买和浏览推荐",
        (ProductSource::FavouriteCategory, true) => "顾客最喜欢的品类里的热销商品",
        (ProductSource::PastPurchases, true) => "顾客以前买过、可能需要回购的商品",
        (ProductSource::ShopBestSellers, true) => "店里最受欢迎的商品",
    }
}

/// The customer's situation as the prompt states it (no personal data).
fn situation(facts: &Facts, format: Format) -> String {
    let zh = facts.language == Language::Zh;
    let c = &facts.customer;
    let mut lines = Vec::new();
    let kind = match (format, zh) {
        (Format::Email, false) => "an e-mail",
        (Format::Sms, false) => "a text message (SMS)",
        (Format::Push, false) => "a push notification",
        (Format::Email, true) => "一封邮件",
        (Format::Sms, true) => "一条短信",
        (Format::Push, true) => "一条推送通知",
    };
    if zh {
        lines.push(format!("请为下面这位顾客写{kind}的文字。"));
    } else {
        lines.push(format!("Write the text of {kind} for this customer."));
    }
    if let Some(s) = c.segment {
        let what = segment_situation(s, zh);
        lines.push(if zh {
            format!("顾客：{what}。")
        } else {
            format!("Customer: {what}.")
        });
    }
    if let Some(d) = c.days_since_last_order {
        lines.push(if zh {
            format!("上次购买：{d}天前。")
        } else {
            format!("Last order: {d} days ago.")
        });
    }
    if let Some(n) = c.orders {
        lines.push(if zh {
            format!("已下单：{n}次。")
        } else {
            format!("Orders so far: {n}.")
        });
    }
    if let Some(cat) = &facts.favourite_category {
        lines.push(if zh {
            format!("最喜欢的品类：{cat}。")
        } else {
            format!("Favourite category: {cat}.")
        });
    }
    if !facts.products.is_empty() {
        let titles: Vec<&str> = facts.products.iter().map(|p| p.title.as_str()).collect();
        let why = source_reason(c.product_source, zh);
        lines.push(if zh {
            format!("推荐商品（{why}）：{}。", titles.join("；"))
        } else {
            format!("Picked products ({why}): {}.", titles.join("; "))
        });
    }
    let offer = facts
        .offer
        .as_ref()
        .map(|o| match (o.percent_off, o.free_shipping, zh) {
            (Some(_), _, false) => "a personal discount code",
            (None, true, false) => "free shipping with a personal code",
            (None, false, false) => "no incentive, just a friendly note",
            (Some(_), _, true) => "专属折扣码",
            (None, true, true) => "免运费专属码",
            (None, false, true) => "没有优惠，只是问候",
        });
    if let Some(o) = offer {
        lines.push(if zh {
            format!("优惠：{o}（具体内容由商店填写）。")
        } else {
            format!("Offer: {o} (the shop adds the details).")
        });
    }
    lines.join("\n")
}

/// Worked examples, one (situation, e-mail, SMS, push) each: three customers in different
/// situations, so a small model learns to follow the situation rather than copy one answer.
const EXAMPLES_EN: [(&str, &str, &str, &str); 3] = [
    (
        "Customer: a valuable customer who has not bought for a while.\nLast order: 120 days ago.\n\
         Orders so far: 6.\nFavourite category: Green tea.\n\
         Picked products (best sellers of their favourite category): Sencha Classic; Jasmine Pearls.\n\
         Offer: a personal discount code (the shop adds the details).",
        r#"{"subject": "Your favourite teas miss you", "opening": "It has been a while since your last cup with us, and we would love to welcome you back.", "lead": "Sencha Classic", "reason": "Sencha Classic and Jasmine Pearls are the teas our regulars come back to again and again.", "closing": "Warm wishes"}"#,
        r#"{"opening": "We miss you! Your favourite green teas are waiting."}"#,
        r#"{"subject": "Your teas miss you", "opening": "Come back for the green teas you love."}"#,
    ),
    (
        "Customer: a loyal regular customer.\nLast order: 12 days ago.\nOrders so far: 15.\n\
         Favourite category: Running.\n\
         Picked products (chosen by the shop from what they bought and viewed): Trail Socks; Light Rain Jacket.\n\
         Offer: free shipping with a personal code (the shop adds the details).",
        r#"{"subject": "Fresh gear for your next run", "opening": "Thank you for running with us all year; your next run deserves something new.", "lead": "Light Rain Jacket", "reason": "The rain jacket and the trail socks go well with the running gear you already love.", "closing": "See you on the trail"}"#,
        r#"{"opening": "Thanks for running with us! New gear picked for you."}"#,
        r#"{"subject": "Gear for your next run", "opening": "We picked something new for your runs."}"#,
    ),
    (
        "Customer: a customer who is drifting away.\nLast order: 75 days ago.\nOrders so far: 2.\n\
         Picked products (products they bought before and may need again): LINEN TEA TOWEL; BEESWAX CANDLE.\n\
         Offer: no incentive, just a friendly note.",
        r#"{"subject": "Your home favourites, ready again", "opening": "We hope the things you picked last time made your home a little cosier.", "lead": "BEESWAX CANDLE", "reason": "The candle and the tea towel you chose before are ready whenever you want more.", "closing": "With care"}"#,
        r#"{"opening": "Your home favourites are ready when you are."}"#,
        r#"{"subject": "Home favourites", "opening": "The things you loved are ready again."}"#,
    ),
];

const EXAMPLES_ZH: [(&str, &str, &str, &str); 3] = [
    (
        "顾客：很久没有购买的重要顾客。\n上次购买：120天前。\n已下单：6次。\n最喜欢的品类：绿茶。\n\
         推荐商品（顾客最喜欢的品类里的热销商品）：Sencha Classic；Jasmine Pearls。\n\
         优惠：专属折扣码（具体内容由商店填写）。",
        r#"{"subject": "您喜欢的好茶在等您", "opening": "好久不见，我们很想念您，期待再次为您泡上一杯好茶。", "lead": "Sencha Classic", "reason": "这两款清新的绿茶是老茶友们最常回购的选择。", "closing": "祝您生活愉快"}"#,
        r#"{"opening": "好久不见！您喜欢的绿茶在等您。"}"#,
        r#"{"subject": "好茶在等您", "opening": "回来看看您喜欢的绿茶吧。"}"#,
    ),
    (
        "顾客：忠实的老顾客。\n上次购买：12天前。\n已下单：15次。\n最喜欢的品类：跑步。\n\
         推荐商品（根据顾客的购买和浏览推荐）：Trail Socks；Light Rain Jacket。\n\
         优惠：免运费专属码（具体内容由商店填写）。",
        r#"{"subject": "为您的下一次奔跑准备新装备", "opening": "感谢您一年来一直和我们一起奔跑。", "lead": "Light Rain Jacket", "reason": "这件轻便雨衣和越野袜很适合搭配您喜欢的跑步装备。", "closing": "跑道上见"}"#,
        r#"{"opening": "感谢您一直的支持！新装备为您备好了。"}"#,
        r#"{"subject": "跑步新装备", "opening": "我们为您挑选了新的跑步装备。"}"#,
    ),
    (
        "顾客：正在慢慢流失的顾客。\n上次购买：75天前。\n已下单：2次。\n\
         推荐商品（顾客以前买过、可能需要回购的商品）：LINEN TEA TOWEL；BEESWAX CANDLE。\n\
         优惠：没有优惠，只是问候。",
        r#"{"subject": "您的居家好物又到了", "opening": "希望您上次挑选的好物让家里更温馨。", "lead": "BEESWAX CANDLE", "reason": "您之前选过的蜡烛和茶巾随时可以再次带回家。", "closing": "祝您安好"}"#,
        r#"{"opening": "您喜欢的居家好物随时等您回来。"}"#,
        r#"{"subject": "居家好物", "opening": "您喜欢的好物又准备好了。"}"#,
    ),
];

/// The instructions and worked examples: the same for every draft of a language and format,
/// so a local model reuses them from its cache.
fn preamble(language: Language, format: Format, shop: &str) -> Vec<Message> {
    let shop = if shop.trim().is_empty() {
        "an online shop".to_owned()
    } else {
        format!("the online shop {}", shop.trim())
    };
    let (system, ask, examples) = match language {
        Language::En => {
            let fields = match format {
                Format::Email => {
                    "subject (a short subject line), opening (one or two warm sentences that speak to the customer's situation), lead (the product to feature), reason (one sentence on why the picked products suit them) and closing (a sign-off of two or three words)"
                }
                Format::Sms => "opening (one short, friendly sentence)",
                Format::Push => "subject (a short title) and opening (one short sentence)",
            };
            let system = format!(
                "You write marketing messages for {shop}, addressed to the customer as \"you\". \
                 The shop inserts every product name, price, discount, coupon code and date \
                 itself, so never write numbers, prices, codes or dates, and never invent \
                 products. Write in English, warmly and briefly, about this customer's situation \
                 and products; do not copy the examples. Speak as the shop (\"we\"), never as \
                 \"I\"; do not mention offers, codes, stock or prices. Answer with JSON: {fields}."
            );
            let ask = match format {
                Format::Email => "Write the text of an e-mail for this customer.",
                Format::Sms => "Write the text of a text message (SMS) for this customer.",
                Format::Push => "Write the text of a push notification for this customer.",
            };
            (system, ask, &EXAMPLES_EN)
        }
        Language::Zh => {
            let fields = match format {
                Format::Email => {
                    "subject（简短的邮件标题）、opening（一两句贴合顾客情况的温暖开场）、lead（主推商品）、reason（一句话说明推荐商品为何适合对方）和 closing（两三个词的结束语）"
                }
                Format::Sms => "opening（一句简短友好的话）",
                Format::Push => "subject（简短标题）和 opening（一句简短的话）",
            };
            let system = format!(
                "你为{shop}撰写营销文案，以“您”称呼顾客。商品名称、价格、折扣、优惠码和日期都由商店自动填写，\
                 所以不要写数字、价格、优惠码或日期，也不要编造商品。请用简体中文，语气亲切简洁，\
                 写这位顾客的情况和商品，不要照抄示例。以商店（“我们”）的口吻，不要提优惠、价格或库存。\
                 用 JSON 回答：{fields}。"
            );
            let ask = match format {
                Format::Email => "请为下面这位顾客写一封邮件的文字。",
                Format::Sms => "请为下面这位顾客写一条短信的文字。",
                Format::Push => "请为下面这位顾客写一条推送通知的文字。",
            };
            (system, ask, &EXAMPLES_ZH)
        }
    };
    let mut messages = vec![Message::system(system)];
    for (situation, email, sms, push) in examples {
        messages.push(Message::user(format!("{ask}\n{situation}")));
        messages.push(Message::assistant(match format {
            Format::Email => *email,
            Format::Sms => *sms,
            Format::Push => *push,
        }));
    }
    messages
}

/// The prompt for one message: the shared preamble, then the customer's situation and what was
/// wrong last time.
pub fn draft_prompt(facts: &Facts, format: Format, feedback: &[Violation]) -> Vec<Message> {
    let mut messages = preamble(facts.language, format, &facts.shop);
    let mut user = situation(facts, format);
    if !feedback.is_empty() {
        user.push_str(if facts.language == Language::Zh {
            "\n上一稿未通过检查，请修正："
        } else {
            "\nYour previous text was rejected. Fix these problems:"
        });
        for v in feedback {
            user.push_str(&format!("\n- {v}"));
        }
    }
    messages.push(Message::user(user));
    messages
}

/// A sentence the length limit cut off ends at its last full sentence, when it has one.
fn whole_sentences(text: &str) -> String {
    let t = text.trim();
    let ends = ['.', '!', '?', '。', '！', '？'];
    if t.is_empty() || t.ends_with(ends) {
        return t.to_owned();
    }
    match t.rfind(ends) {
        Some(i) => {
            let end = i + t[i..].chars().next().map_or(1, char::len_utf8);
            t[..end].to_owned()
        }
        None => t.to_owned(),
    }
}

/// Whether `text` is copied from a worked example's answer (a small model does that; the copy
/// would speak of another customer's products).
fn copied_from_examples(text: &str) -> bool {
    let t = text.trim();
    t.chars().count() > 12
        && EXAMPLES_EN
            .iter()
            .chain(&EXAMPLES_ZH)
            .flat_map(|(_, a, b, c)| [a, b, c])
            .any(|answer| answer.contains(t))
}

/// Reads the model's JSON answer into free text (the lead as an index into the products;
/// sentences the length limit cut off dropped from the opening and the reason; a field copied
/// from a worked example left empty, and no free text at all when that is the opening).
fn parse_answer(text: &str, facts: &Facts) -> Option<FreeText> {
    let doc: serde_json::Value = serde_json::from_str(text).ok()?;
    let field = |k: &str| {
        let t = doc[k].as_str().unwrap_or_default().trim().to_owned();
        let t = if matches!(k, "opening" | "reason") {
            whole_sentences(&t)
        } else {
            t
        };
        if copied_from_examples(&t) {
            String::new()
        } else {
            t
        }
    };
    let lead = doc["lead"]
        .as_str()
        .and_then(|t| facts.products.iter().position(|p| p.title == t));
    let out = FreeText {
        subject: field("subject"),
        opening: field("opening"),
        reason: field("reason"),
        closing: field("closing"),
        lead,
    };
    (!out.opening.is_empty()).then_some(out)
}

/// A writer for `compose`: each call asks `generator` for one free text (seeded by `seed` and
/// a counter, so a rerun writes the same drafts). None when the generator fails (the failure
/// is kept in `failures`) or the format leaves no room for free text.
pub fn llm_writer<'a>(
    generator: &'a mut dyn Generate,
    rules: &'a Rules,
    seed: u64,
    failures: &'a mut Vec<String>,
) -> impl FnMut(&Facts, Format, &[Violation]) -> Option<FreeText> + 'a {
    let mut calls = 0u64;
    move |facts: &Facts, format: Format, feedback: &[Violation]| {
        let schema = free_text_schema(facts, format, rules)?;
        let params = SamplingParams {
            seed: seed.wrapping_mul(1_000).wrapping_add(calls),
            max_tokens: 160,
            temperature: 0.7,
            top_p: Some(0.9),
            ..Default::default()
        };
        calls += 1;
        let answer = match generator.chat(
            &draft_prompt(facts, format, feedback),
            &params,
            Some(&schema),
            &mut |_| {},
        ) {
            Ok(mut a) if !a.is_empty() => a.remove(0),
            Ok(_) => {
                failures.push("the language model returned no answer".into());
                return None;
            }
            Err(e) => {
                failures.push(e.to_string());
                return None;
            }
        };
        parse_answer(&answer.text, facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recur_campaign::{CustomerContext, OfferFact, ProductFact};

    fn facts(language: Language) -> Facts {
        Facts {
            shop: "Tea House".into(),
            language,
            currency: "USD".into(),
            favourite_category: Some("Green tea".into()),
            products: vec![
                ProductFact {
                    title: "Sencha 100 g".into(),
                    price: 8.5,
                },
                ProductFact {
                    title: "Genmaicha".into(),
                    price: 6.0,
                },
            ],
            offer: Some(OfferFact {
                percent_off: Some(10.0),
                free_shipping: false,
                code: Some("TEA-7KQ2".into()),
                expires: Some("2026-12-10".into()),
            }),
            link: Some("https://tea.example/back".into()),
            customer: CustomerContext {
                segment: Some(Segment::AtRisk),
                days_since_last_order: Some(140),
                orders: Some(7),
                product_source: ProductSource::FavouriteCategory,
            },
        }
    }

    #[test]
    fn the_prompt_carries_the_situation_but_no_fact_to_copy() {
        let v = Violation::UnsuppliedCode {
            field: "body",
            code: "FREE50".into(),
        };
        let f = facts(Language::En);
        let m = draft_prompt(&f, Format::Email, &[v]);
        let user = &m.last().unwrap().content;
        for needle in [
            "Green tea",
            "Sencha 100 g",
            "140 days",
            "has not bought for a while",
            "best sellers of their favourite category",
            "FREE50",
        ] {
            assert!(user.contains(needle), "{needle} missing from {user}");
        }
        // The code, the price and the expiry are the engine's to write.
        for fact in ["TEA-7KQ2", "8.50", "2026-12-10", "10%"] {
            assert!(!user.contains(fact), "{fact} must not be in {user}");
        }
        // Two customers in different situations get different prompts, the preamble is shared.
        let mut g = f.clone();
        g.customer.segment = Some(Segment::Champions);
        let n = draft_prompt(&g, Format::Email, &[]);
        let shared = m.len() - 1;
        assert_eq!(m[..shared], n[..shared]);
        assert_ne!(m[shared].content, n[shared].content);
    }

    #[test]
    fn the_schema_keeps_facts_out_of_free_text() {
        let f = facts(Language::En);
        let s = free_text_schema(&f, Format::Email, &Rules::default()).unwrap();
        let ok = serde_json::json!({"subject": "Green tea for you", "opening": "Welcome back to the tea house.",
            "lead": "Genmaicha", "reason": "They suit your taste.", "closing": "Cheers"});
        assert!(s.validate(&ok).is_ok());
        let mut typographic = ok.clone();
        typographic["opening"] = serde_json::json!("Welcome back \u{2014} we’ve missed you…");
        assert!(s.validate(&typographic).is_ok());
        for (k, v) in [
            ("opening", "Save 20 percent today"),
            ("opening", "Only $5"),
            ("reason", "Use {code} now"),
            ("closing", "See you at shop.example/x"),
            ("subject", "好久不见"),
            // The validators' words, refused by the decoder too.
            ("opening", "A special discount for you"),
            ("opening", "I miss you"),
            ("reason", "Perfect for the customer"),
            ("closing", "Guaranteed joy"),
            ("closing", "WELCOME back"),
            // A Latin letter past ASCII would hide a forbidden word.
            ("opening", "A special dealâa for you"),
        ] {
            let mut bad = ok.clone();
            bad[k] = serde_json::json!(v);
            assert!(s.validate(&bad).is_err(), "{k}: {v}");
        }
        let mut invented = ok.clone();
        invented["lead"] = serde_json::json!("Matcha Latte");
        assert!(
            s.validate(&invented).is_err(),
            "the lead is one of the supplied titles"
        );
        // Chinese free text has no Latin letters.
        let z = free_text_schema(
            &facts(Language::Zh),
            Format::Push,
            &Rules::for_format(Format::Push),
        )
        .unwrap();
        assert!(
            z.validate(&serde_json::json!({"subject": "好茶等您", "opening": "回来看看吧"}))
                .is_ok()
        );
        assert!(
            z.validate(&serde_json::json!({"subject": "好茶 sale", "opening": "回来看看吧"}))
                .is_err()
        );
    }

    #[test]
    fn an_sms_whose_facts_fill_it_leaves_no_room() {
        let mut f = facts(Language::Zh);
        f.shop = "好".repeat(40);
        assert!(free_text_schema(&f, Format::Sms, &Rules::for_format(Format::Sms)).is_none());
        let f = facts(Language::En);
        assert!(free_text_schema(&f, Format::Sms, &Rules::for_format(Format::Sms)).is_some());
    }

    #[test]
    fn answers_become_free_text_with_the_lead_as_an_index() {
        let f = facts(Language::En);
        let t = parse_answer(
            r#"{"subject": "Hi", "opening": "Welcome back.", "lead": "Genmaicha", "reason": "r", "closing": "c"}"#,
            &f,
        )
        .unwrap();
        assert_eq!(t.lead, Some(1));
        assert!(parse_answer("not json", &f).is_none());
        let cut = parse_answer(
            r#"{"subject": "Hi", "opening": "Welcome back. We hope that this", "reason": "r", "closing": "c"}"#,
            &f,
        )
        .unwrap();
        assert_eq!(cut.opening, "Welcome back.");
        let copied = parse_answer(
            r#"{"subject": "Hi", "opening": "Welcome back.", "reason": "The candle and the tea towel you chose before are ready whenever you want more.", "closing": "c"}"#,
            &f,
        )
        .unwrap();
        assert_eq!(
            copied.reason, "",
            "a reason copied from an example is dropped"
        );
    }
}
