//! The deterministic template every rejected draft falls back to, in English and Chinese.

use super::{Draft, Facts, Language, money, trim_number};

/// The deterministic template used when no writer is configured or every draft was rejected.
/// It states only the facts, so it always passes [`validate`](super::validate) for in-limit facts.
pub fn template(facts: &Facts) -> Draft {
    let offer_line = facts.offer.as_ref().map(|o| {
        let what = match (o.percent_off, o.free_shipping, facts.language) {
            (Some(p), _, Language::En) => format!("{}% off your next order", trim_number(p)),
            (Some(p), _, Language::Zh) => format!("下一单立减{}%", trim_number(p)),
            (None, true, Language::En) => "free shipping on your next order".to_owned(),
            (None, true, Language::Zh) => "下一单免运费".to_owned(),
            (None, false, Language::En) => "a thank-you from us".to_owned(),
            (None, false, Language::Zh) => "一份心意".to_owned(),
        };
        let code = o.code.as_ref().map(|c| match facts.language {
            Language::En => format!(" with code {c}"),
            Language::Zh => format!("，优惠码 {c}"),
        });
        let until = o.expires.as_ref().map(|d| match facts.language {
            Language::En => format!(", valid until {d}"),
            Language::Zh => format!("，有效期至 {d}"),
        });
        format!(
            "{what}{}{}",
            code.unwrap_or_default(),
            until.unwrap_or_default()
        )
    });
    let products: Vec<String> = facts
        .products
        .iter()
        .map(|p| format!("- {} ({})", p.title, money(p.price, &facts.currency)))
        .collect();
    match facts.language {
        Language::En => {
            let subject = match &facts.favourite_category {
                Some(c) => format!("New picks in {c} for you"),
                None => format!("We picked something for you at {}", facts.shop),
            };
            let preheader = offer_line
                .clone()
                .map(|o| format!("Enjoy {o}."))
                .unwrap_or_else(|| "Have a look at what we picked for you.".to_owned());
            let mut body = "Hi {first_name},\n\nwe thought you might like these:\n".to_owned();
            for p in &products {
                body.push_str(p);
                body.push('\n');
            }
            if let Some(o) = &offer_line {
                body.push_str(&format!("\nEnjoy {o}.\n"));
            }
            body.push_str(&format!("\nSee you soon,\n{}", facts.shop));
            Draft {
                subject,
                preheader,
                body,
            }
        }
        Language::Zh => {
            let subject = match &facts.favourite_category {
                Some(c) => format!("为您挑选的{c}新品"),
                None => format!("{}为您精选好物", facts.shop),
            };
            let preheader = offer_line
                .clone()
                .map(|o| format!("专属优惠：{o}。"))
                .unwrap_or_else(|| "看看我们为您挑选的商品。".to_owned());
            let mut body = "{first_name}，您好：\n\n我们觉得您可能会喜欢这些商品：\n".to_owned();
            for p in &products {
                body.push_str(p);
                body.push('\n');
            }
            if let Some(o) = &offer_line {
                body.push_str(&format!("\n专属优惠：{o}。\n"));
            }
            body.push_str(&format!("\n期待您的再次光临！\n{}", facts.shop));
            Draft {
                subject,
                preheader,
                body,
            }
        }
    }
}
