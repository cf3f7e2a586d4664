//! Assembly: the writer's free text and the engine's facts become one message per format, in
//! English or Chinese; the template is the same assembly around the engine's own free text.

use recur_core::Segment;

use super::{Draft, Facts, Format, FreeText, Language, ProductSource, money, trim_number};

/// The offer as one sentence fragment ("15% off your next order with code X, valid until D").
fn offer_line(facts: &Facts) -> Option<String> {
    let o = facts.offer.as_ref()?;
    let zh = facts.language == Language::Zh;
    let what = match (o.percent_off, o.free_shipping, zh) {
        (Some(p), _, false) => format!("{}% off your next order", trim_number(p)),
        (Some(p), _, true) => format!("下一单立减{}%", trim_number(p)),
        (None, true, false) => "free shipping on your next order".to_owned(),
        (None, true, true) => "下一单免运费".to_owned(),
        (None, false, false) => "a thank-you from us".to_owned(),
        (None, false, true) => "一份心意".to_owned(),
    };
    let code = o.code.as_ref().map(|c| {
        if zh {
            format!("，优惠码 {c}")
        } else {
            format!(" with code {c}")
        }
    });
    let until = o.expires.as_ref().map(|d| {
        if zh {
            format!("，有效期至 {d}")
        } else {
            format!(", valid until {d}")
        }
    });
    Some(format!(
        "{what}{}{}",
        code.unwrap_or_default(),
        until.unwrap_or_default()
    ))
}

/// The offer in as few characters as possible, for SMS and push ("15% off: X, until D").
fn offer_short(facts: &Facts) -> Option<String> {
    let o = facts.offer.as_ref()?;
    let zh = facts.language == Language::Zh;
    let what = match (o.percent_off, o.free_shipping, zh) {
        (Some(p), _, false) => format!("{}% off", trim_number(p)),
        (Some(p), _, true) => format!("立减{}%", trim_number(p)),
        (None, true, false) => "Free shipping".to_owned(),
        (None, true, true) => "免运费".to_owned(),
        (None, false, _) => String::new(),
    };
    let mut s = what;
    if let Some(c) = &o.code {
        let sep = if s.is_empty() {
            ""
        } else if zh {
            "，"
        } else {
            " with "
        };
        s.push_str(&format!("{sep}{}{c}", if zh { "优惠码" } else { "code " }));
    }
    if let Some(d) = &o.expires {
        s.push_str(&if zh {
            format!("，至{d}")
        } else {
            format!(", until {d}")
        });
    }
    (!s.is_empty()).then_some(s)
}

/// The products, the lead first.
fn ordered_products(facts: &Facts, lead: Option<usize>) -> Vec<&super::ProductFact> {
    let mut v: Vec<&super::ProductFact> = facts.products.iter().collect();
    if let Some(i) = lead.filter(|&i| i < v.len()) {
        let p = v.remove(i);
        v.insert(0, p);
    }
    v
}

/// The writer's text as a sentence: a full stop added in the language when it ends without
/// punctuation.
fn sentence(text: &str, language: Language) -> String {
    let t = text.trim();
    if t.is_empty() || t.ends_with(['.', '!', '?', ':', ',', '。', '！', '？', '：', '，', '…'])
    {
        return t.to_owned();
    }
    match language {
        Language::En => format!("{t}."),
        Language::Zh => format!("{t}。"),
    }
}

/// One message of `format` from the writer's free text and the facts. Facts enter only here:
/// product titles with their prices, the offer with its code and expiry, the shop's name and
/// the link are written by the engine; `{first_name}` is filled in after validation.
pub fn assemble(text: &FreeText, facts: &Facts, format: Format) -> Draft {
    let zh = facts.language == Language::Zh;
    let shop = facts.shop.trim();
    match format {
        Format::Email => {
            let mut body = if zh {
                "{first_name}，您好：\n\n".to_owned()
            } else {
                "Hi {first_name},\n\n".to_owned()
            };
            let opening = sentence(&text.opening, facts.language);
            if !opening.is_empty() {
                body.push_str(&opening);
                body.push_str("\n\n");
            }
            let products = ordered_products(facts, text.lead);
            if !products.is_empty() {
                let reason = sentence(&text.reason, facts.language);
                if !reason.is_empty() {
                    body.push_str(&reason);
                    body.push('\n');
                }
                for p in products {
                    let price = money(p.price, &facts.currency);
                    body.push_str(&if zh {
                        format!("- {}（{price}）\n", p.title)
                    } else {
                        format!("- {} ({price})\n", p.title)
                    });
                }
            }
            let offer = offer_line(facts);
            if let Some(o) = &offer {
                body.push_str(&if zh {
                    format!("\n专属优惠：{o}。\n")
                } else {
                    format!("\nEnjoy {o}.\n")
                });
            }
            if let Some(link) = &facts.link {
                body.push_str(&format!("\n{link}\n"));
            }
            let closing = text.closing.trim();
            match (closing.is_empty(), shop.is_empty()) {
                (true, true) => {}
                (true, false) => body.push_str(&format!("\n{shop}")),
                (false, true) => body.push_str(&format!("\n{closing}")),
                (false, false) => body.push_str(&format!("\n{closing}\n{shop}")),
            }
            let preheader = match &offer {
                Some(o) if zh => format!("专属优惠：{o}。"),
                Some(o) => format!("Enjoy {o}."),
                None => opening,
            };
            Draft {
                subject: text.subject.trim().to_owned(),
                preheader,
                body: body.trim_end().to_owned(),
            }
        }
        Format::Sms => {
            // "Shop: opening offer link"; the opening goes first when the whole does not fit.
            let prefix = match (shop.is_empty(), zh) {
                (true, _) => String::new(),
                (false, true) => format!("【{shop}】"),
                (false, false) => format!("{shop}: "),
            };
            let offer = offer_short(facts).map(|o| sentence(&o, facts.language));
            let link = facts.link.clone();
            let join = |parts: &[Option<String>]| -> String {
                let parts: Vec<&str> = parts
                    .iter()
                    .flatten()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect();
                format!("{prefix}{}", parts.join(if zh { "" } else { " " }))
            };
            let opening = Some(sentence(&text.opening, facts.language));
            let full = join(&[opening, offer.clone(), link.clone()]);
            let body = if full.chars().count() <= super::sms_limit(&full) {
                full
            } else {
                join(&[offer, link])
            };
            Draft {
                subject: String::new(),
                preheader: String::new(),
                body,
            }
        }
        Format::Push => {
            let opening = sentence(&text.opening, facts.language);
            let offer = offer_short(facts).map(|o| sentence(&o, facts.language));
            let body = [Some(opening), offer]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(if zh { "" } else { " " });
            Draft {
                subject: text.subject.trim().to_owned(),
                preheader: String::new(),
                body,
            }
        }
    }
}

/// The engine's own free text for `facts`, chosen by the customer's situation; it states no
/// fact beyond the favourite category, so the template passes the validators.
pub fn template_text(facts: &Facts) -> FreeText {
    let c = &facts.customer;
    let lapsed = c.days_since_last_order.is_some_and(|d| d > 60)
        || matches!(
            c.segment,
            Some(
                Segment::AtRisk
                    | Segment::CantLoseThem
                    | Segment::Hibernating
                    | Segment::Lost
                    | Segment::AboutToSleep
            )
        );
    let loyal = matches!(c.segment, Some(Segment::Champions | Segment::Loyal));
    let category = facts.favourite_category.as_deref();
    match facts.language {
        Language::En => FreeText {
            subject: match (category, lapsed) {
                (Some(cat), _) => format!("New picks in {cat} for you"),
                (None, true) => "It has been a while: we picked something for you".to_owned(),
                (None, false) => "We picked something for you".to_owned(),
            },
            opening: if lapsed {
                "It has been a while, so we picked a few things we think you will like."
            } else if loyal {
                "Thank you for shopping with us so often."
            } else {
                "We picked a few things we think you will like."
            }
            .to_owned(),
            reason: match (c.product_source, category) {
                (ProductSource::FavouriteCategory, Some(cat)) => {
                    format!("Best sellers in {cat}, a category you love:")
                }
                (ProductSource::PastPurchases, _) => "Favourites from your past orders:".into(),
                (ProductSource::ShopBestSellers, _) => {
                    "Our customers' favourites right now:".into()
                }
                _ => "Chosen for you from what you bought and browsed:".into(),
            },
            closing: "See you soon,".to_owned(),
            lead: None,
        },
        Language::Zh => FreeText {
            subject: match (category, lapsed) {
                (Some(cat), _) => format!("为您挑选的{cat}好物"),
                (None, true) => "好久不见，为您精选好物".to_owned(),
                (None, false) => "为您精选好物".to_owned(),
            },
            opening: if lapsed {
                "好久不见，我们为您挑选了几件可能喜欢的商品。"
            } else if loyal {
                "感谢您一直以来的支持。"
            } else {
                "我们为您挑选了几件可能喜欢的商品。"
            }
            .to_owned(),
            reason: match (c.product_source, category) {
                (ProductSource::FavouriteCategory, Some(cat)) => format!("{cat}热销商品："),
                (ProductSource::PastPurchases, _) => "您曾经购买过的心头好：".into(),
                (ProductSource::ShopBestSellers, _) => "本店热销商品：".into(),
                _ => "根据您的购买和浏览为您推荐：".into(),
            },
            closing: "期待您的再次光临！".to_owned(),
            lead: None,
        },
    }
}

/// The deterministic template used when no writer is configured or every draft was rejected:
/// [`template_text`] assembled with the facts.
pub fn template(facts: &Facts, format: Format) -> Draft {
    assemble(&template_text(facts), facts, format)
}
