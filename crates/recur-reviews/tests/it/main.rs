//! Integration tests of review intelligence on small generated review sets.

mod aspects;
mod evaluate;
mod sentiment;

use recur_reviews::{Example, Polarity, Review};

/// A tiny seeded generator (tests only).
pub(crate) struct Gen(u64);

impl Gen {
    pub(crate) fn new(seed: u64) -> Gen {
        Gen(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1))
    }

    pub(crate) fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }

    pub(crate) fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next(from.len())]
    }
}

const EN_FILLER: &[&str] = &[
    "i bought this",
    "for my sister",
    "last week",
    "arrived on tuesday",
    "the box was blue",
    "compared to the old one",
    "as a gift",
    "after two days",
    "in the evening",
    "with my coffee",
];
const ZH_FILLER: &[&str] = &[
    "这次买的",
    "给妈妈用",
    "上周收到",
    "第二次购买",
    "晚上用了",
    "和以前一样",
    "朋友推荐的",
];

/// `n` reviews per class in English and Chinese, with planted polarity words (`zorbly` /
/// `grimsk`, 好极了 / 糟透了) in filler, plus mixed script, emoji, HTML entities, empty and
/// very long texts.
pub(crate) fn planted(n: usize, seed: u64) -> Vec<Example> {
    let mut g = Gen::new(seed);
    let mut out = Vec::new();
    for i in 0..n {
        for (label, en, zh) in [
            (Polarity::Positive, "zorbly", "好极了"),
            (Polarity::Negative, "grimsk", "糟透了"),
        ] {
            let text = match i % 6 {
                0 => format!("{} {} {} {}", g.pick(EN_FILLER), en, g.pick(EN_FILLER), i),
                1 => format!("{}{}，{}{}", g.pick(ZH_FILLER), zh, g.pick(ZH_FILLER), i),
                2 => format!(
                    "{} {} {} &amp; {}",
                    g.pick(ZH_FILLER),
                    en,
                    g.pick(EN_FILLER),
                    zh
                ),
                3 => format!("{} 😀 {} &lt;3 {}", g.pick(EN_FILLER), en, i),
                4 => format!("{} {} {}", g.pick(EN_FILLER).repeat(40), en, i),
                _ => format!("{}<br />{}{}{}", g.pick(ZH_FILLER), zh, "。".repeat(3), i),
            };
            out.push(Example { text, label });
        }
    }
    out.push(Example {
        text: String::new(),
        label: Polarity::Positive,
    });
    out
}

/// Reviews of a small shop: products `p0`..`p5` in category `soap` and `q0`..`q2` in `tea`;
/// every review mentions the planted aspects `lather` / `pump bottle` (English) or 包装 / 物流
/// (Chinese); `p0` is reviewed badly.
pub(crate) fn shop(seed: u64) -> Vec<Review> {
    let mut g = Gen::new(seed);
    let mut out = Vec::new();
    let products: Vec<(String, &str)> = (0..6)
        .map(|i| (format!("p{i}"), "soap"))
        .chain((0..3).map(|i| (format!("q{i}"), "tea")))
        .collect();
    for (p, cat) in &products {
        for r in 0..24 {
            let bad = if p == "p0" { r % 5 != 0 } else { r % 7 == 0 };
            let month = format!("2026-{:02}", 1 + g.next(6));
            let text = match (r % 3, bad) {
                (0, false) => format!("The lather is wonderful, {}", g.pick(EN_FILLER)),
                (0, true) => format!(
                    "The pump bottle leaked and broke, awful. {}",
                    g.pick(EN_FILLER)
                ),
                (1, false) => format!("包装很好，物流很快，非常满意{}", g.pick(ZH_FILLER)),
                (1, true) => format!("包装破了，物流太慢，很失望{}", g.pick(ZH_FILLER)),
                (_, false) => format!(
                    "Great lather and a nice pump bottle 😀 {}",
                    g.pick(EN_FILLER)
                ),
                (_, true) => format!(
                    "Terrible lather, the pump bottle is junk &amp; sticky {}",
                    g.pick(EN_FILLER)
                ),
            };
            out.push(Review {
                key: format!("i0001:{}", out.len() + 2),
                product_id: p.clone(),
                category: Some((*cat).to_owned()),
                month: Some(month),
                stars: Some(if bad {
                    1 + g.next(2) as i64
                } else {
                    4 + g.next(2) as i64
                }),
                text,
            });
        }
    }
    out
}
