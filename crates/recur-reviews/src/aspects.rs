//! Aspects and pain points: per product and per category, the aspects customers write about
//! (found in the reviews, see `terms`), how many reviews mention each, the share of negative
//! mentions (the clause around the mention, blended with the whole review, classified by the
//! model; stars without one), the trend by month and three verbatim quotes with their review
//! keys; products whose negative share is well above the rest of their category are held
//! back.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::model::{Polarity, SentimentModel};
use crate::terms::candidates;
use crate::text::{clauses, clean, normalise};

/// A stored review to analyse.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The review's row key (kept with quotes).
    pub key: String,
    /// Reviewed product.
    pub product_id: String,
    /// The product's category, if the catalog gives one.
    pub category: Option<String>,
    /// Month written (`YYYY-MM`), if known.
    pub month: Option<String>,
    /// Stars 1-5, if any.
    pub stars: Option<i64>,
    /// Text (may be empty).
    pub text: String,
}

/// When a product is held back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldBackRule {
    /// Fewest reviews of the product (and of the rest of its category) to judge it.
    pub min_reviews: usize,
    /// How far (as a share) its negative share must exceed the rest of its category's.
    pub margin: f64,
}

impl Default for HoldBackRule {
    fn default() -> Self {
        Self {
            min_reviews: 10,
            margin: 0.2,
        }
    }
}

/// Settings of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeOptions {
    /// Most aspects reported per product and per category.
    pub aspects_per_group: usize,
    /// Fewest reviews of the whole shop that mention a phrase for it to be an aspect.
    pub min_support: usize,
    /// Fewest reviews of a product (or category) that mention an aspect to report it there.
    pub min_mentions: usize,
    /// Quotes per aspect.
    pub examples: usize,
    /// When a product is held back.
    pub hold_back: HoldBackRule,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            aspects_per_group: 8,
            min_support: 3,
            min_mentions: 2,
            examples: 3,
            hold_back: HoldBackRule::default(),
        }
    }
}

/// A verbatim quote of a review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// The review's row key.
    pub review: String,
    /// The clause that mentions the aspect, as written (entities decoded, at most 200
    /// characters).
    pub text: String,
    /// How the mention was judged.
    pub polarity: Polarity,
}

/// Mentions of an aspect in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthShare {
    /// `YYYY-MM`.
    pub month: String,
    /// Reviews mentioning the aspect that month.
    pub mentions: usize,
    /// Share of them negative.
    pub negative_share: f64,
}

/// One aspect of a product or category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AspectReport {
    /// The phrase.
    pub aspect: String,
    /// Reviews that mention it.
    pub mentions: usize,
    /// Share of those mentions that are negative.
    pub negative_share: f64,
    /// By month, oldest first.
    pub trend: Vec<MonthShare>,
    /// Quotes, negative mentions first.
    pub examples: Vec<Quote>,
}

/// A product's reviews summed up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductReport {
    /// Product id.
    pub product_id: String,
    /// Category, if known.
    pub category: Option<String>,
    /// Reviews.
    pub reviews: usize,
    /// Share of reviews judged negative (the model on the text; stars without text or model).
    pub negative_share: f64,
    /// Share of reviews with one or two stars, among those with stars.
    pub star_negative_share: Option<f64>,
    /// Mean stars, among reviews with stars.
    pub mean_stars: Option<f64>,
    /// Aspects, most mentioned first.
    pub aspects: Vec<AspectReport>,
    /// Whether its negative share is well above the rest of its category's.
    pub held_back: bool,
    /// Why it is held back.
    pub held_back_reason: Option<String>,
}

/// A category's reviews summed up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryReport {
    /// Category.
    pub category: String,
    /// Products reviewed.
    pub products: usize,
    /// Reviews.
    pub reviews: usize,
    /// Share of reviews judged negative.
    pub negative_share: f64,
    /// Aspects, most mentioned first.
    pub aspects: Vec<AspectReport>,
}

/// The result of [`analyze`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Reviews analysed.
    pub reviews: usize,
    /// Share of reviews judged negative, shop-wide.
    pub negative_share: f64,
    /// Whether review polarity came from the model (else from stars).
    pub model_used: bool,
    /// Distinct aspects found shop-wide (phrases with enough support).
    pub aspects_found: usize,
    /// Products, most reviewed first.
    pub products: Vec<ProductReport>,
    /// Categories, most reviewed first.
    pub categories: Vec<CategoryReport>,
    /// The products held back, with the reason.
    pub held_back: Vec<HeldBack>,
}

/// A product held back.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct HeldBack {
    /// Product id.
    pub product_id: String,
    /// Its category, if the catalog gives one.
    pub category: Option<String>,
    /// Its reviews.
    pub reviews: usize,
    /// Share of its reviews judged negative.
    pub negative_share: f64,
    /// What it was compared with: `category` (the rest of its category) or `shop` (the rest
    /// of the shop, when the rest of its category has too few reviews).
    pub compared_with: String,
    /// Reviews of what it was compared with.
    pub compared_reviews: usize,
    /// Share of those reviews judged negative.
    pub compared_negative_share: f64,
    /// Why, in words.
    pub reason: String,
}

/// The products whose negative share is well above the rest of their category's (see
/// [`HoldBackRule`]), judged like [`analyze`] judges reviews (the model on the text; stars
/// without text or model, one or two stars negative, no stars not negative) but without
/// looking for aspects, so it is fast enough to run before every plan. Most negative first.
pub fn held_back(
    reviews: &[Review],
    model: Option<&SentimentModel>,
    rule: &HoldBackRule,
) -> Vec<HeldBack> {
    let negative: Vec<bool> = reviews
        .iter()
        .map(|r| {
            let text = clean(&r.text);
            let label = match model {
                Some(m) if !text.trim().is_empty() => m.predict(&text).label,
                _ => star_polarity(r),
            };
            is_negative(label)
        })
        .collect();
    let mut out = hold_back(reviews, &negative, rule);
    out.sort_by(|a, b| {
        (b.negative_share - b.compared_negative_share)
            .total_cmp(&(a.negative_share - a.compared_negative_share))
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    out
}

fn star_polarity(r: &Review) -> Polarity {
    r.stars
        .and_then(Polarity::from_stars)
        .unwrap_or(Polarity::Positive)
}

const NO_CATEGORY: &str = "(no category)";

/// The rule applied to reviews already judged (`negative[i]` of `reviews[i]`), in product id
/// order.
fn hold_back(reviews: &[Review], negative: &[bool], rule: &HoldBackRule) -> Vec<HeldBack> {
    // product → (category, reviews, negative); category → (reviews, negative)
    let mut products: BTreeMap<&str, (Option<&str>, usize, usize)> = BTreeMap::new();
    let mut categories: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut total = (0usize, 0usize);
    for (r, &neg) in reviews.iter().zip(negative) {
        let p = products.entry(r.product_id.as_str()).or_default();
        if p.0.is_none() {
            p.0 = r.category.as_deref();
        }
        p.1 += 1;
        p.2 += usize::from(neg);
        total.0 += 1;
        total.1 += usize::from(neg);
    }
    // A product's category is the first one its reviews give; its reviews count there.
    for (category, n, neg) in products.values() {
        let c = categories
            .entry(category.unwrap_or(NO_CATEGORY))
            .or_default();
        c.0 += n;
        c.1 += neg;
    }
    let share = |(n, neg): (usize, usize)| if n == 0 { 0.0 } else { neg as f64 / n as f64 };
    let mut out = Vec::new();
    for (id, &(category, n, neg)) in &products {
        let cname = category.unwrap_or(NO_CATEGORY);
        let c = categories.get(cname).copied().unwrap_or_default();
        let rest_category = (c.0.saturating_sub(n), c.1.saturating_sub(neg));
        let (rest, compared_with, rest_name) = if rest_category.0 >= rule.min_reviews {
            (rest_category, "category", format!("the rest of `{cname}`"))
        } else {
            (
                (total.0.saturating_sub(n), total.1.saturating_sub(neg)),
                "shop",
                "the rest of the shop".to_owned(),
            )
        };
        let own = (n, neg);
        if n >= rule.min_reviews
            && rest.0 >= rule.min_reviews
            && share(own) >= share(rest) + rule.margin
        {
            out.push(HeldBack {
                product_id: (*id).to_owned(),
                category: category.map(str::to_owned),
                reviews: n,
                negative_share: share(own),
                compared_with: compared_with.to_owned(),
                compared_reviews: rest.0,
                compared_negative_share: share(rest),
                reason: format!(
                    "{:.0}% of its {n} reviews are negative against {:.0}% for {rest_name} ({} reviews)",
                    100.0 * share(own),
                    100.0 * share(rest),
                    rest.0
                ),
            });
        }
    }
    out
}

/// One mention: review, clause byte range in the cleaned text, term, negative probability.
struct Mention {
    review: usize,
    clause: (usize, usize),
    term: u32,
    negative: bool,
    p_negative: f32,
}

#[derive(Default)]
struct Acc {
    mentions: usize,
    negative: usize,
    months: BTreeMap<String, (usize, usize)>,
    /// (review, clause, p_negative, negative)
    examples: Vec<(usize, (usize, usize), f32, bool)>,
}

fn is_negative(p: Polarity) -> bool {
    p == Polarity::Negative
}

/// Analyses reviews: polarity of each review and of each aspect mention, aspects per product
/// and category, held-back products. Without a model, polarity comes from the stars (reviews
/// without stars count as not negative).
pub fn analyze(
    reviews: &[Review],
    model: Option<&SentimentModel>,
    opts: &AnalyzeOptions,
) -> Analysis {
    let cleaned: Vec<String> = reviews.iter().map(|r| clean(&r.text)).collect();
    let mut review_negative = Vec::with_capacity(reviews.len());
    let mut mentions: Vec<Mention> = Vec::new();
    let mut terms: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for (i, r) in reviews.iter().enumerate() {
        let text = &cleaned[i];
        let whole = match model {
            Some(m) if !text.trim().is_empty() => Some(m.probabilities(text)),
            _ => None,
        };
        let review_label = match (&whole, model) {
            (Some(p), Some(m)) => m.prediction(p).label,
            _ => star_polarity(r),
        };
        review_negative.push(is_negative(review_label));
        let mut seen: HashMap<u32, usize> = HashMap::new();
        for (a, b) in clauses(text) {
            found.clear();
            candidates(&normalise(&text[a..b]), &mut found);
            if found.is_empty() {
                continue;
            }
            let (label, p_neg) = match (&whole, model) {
                (Some(pw), Some(m)) => {
                    let pc = m.probabilities(&text[a..b]);
                    let blend: Vec<f32> = pc.iter().zip(pw).map(|(c, w)| 0.5 * (c + w)).collect();
                    let pred = m.prediction(&blend);
                    (pred.label, pred.negative)
                }
                _ => (
                    review_label,
                    if is_negative(review_label) { 1.0 } else { 0.0 },
                ),
            };
            for t in found.drain(..) {
                let id = match terms.get(&t) {
                    Some(&id) => id,
                    None => {
                        let id = names.len() as u32;
                        terms.insert(t.clone(), id);
                        names.push(t);
                        id
                    }
                };
                let m = Mention {
                    review: i,
                    clause: (a, b),
                    term: id,
                    negative: is_negative(label),
                    p_negative: p_neg,
                };
                // One mention per review and term: the most negative clause.
                match seen.get(&id) {
                    Some(&k) if mentions[k].p_negative >= p_neg => {}
                    Some(&k) => mentions[k] = m,
                    None => {
                        seen.insert(id, mentions.len());
                        mentions.push(m);
                    }
                }
            }
        }
    }
    let mut support = vec![0usize; names.len()];
    for m in &mentions {
        support[m.term as usize] += 1;
    }
    let aspects_found = support.iter().filter(|&&s| s >= opts.min_support).count();

    // Groups: products, then categories.
    let mut product_ids: Vec<&str> = reviews.iter().map(|r| r.product_id.as_str()).collect();
    product_ids.sort_unstable();
    product_ids.dedup();
    let product_index: HashMap<&str, usize> = product_ids
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i))
        .collect();
    let category_of = |r: &Review| r.category.clone().unwrap_or_else(|| NO_CATEGORY.to_owned());
    let mut category_names: Vec<String> = reviews.iter().map(category_of).collect();
    category_names.sort_unstable();
    category_names.dedup();
    let category_index: HashMap<&str, usize> = category_names
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();

    let mut product_acc: HashMap<(usize, u32), Acc> = HashMap::new();
    let mut category_acc: HashMap<(usize, u32), Acc> = HashMap::new();
    for m in &mentions {
        if support[m.term as usize] < opts.min_support {
            continue;
        }
        let r = &reviews[m.review];
        let p = product_index[r.product_id.as_str()];
        let c = category_index[category_of(r).as_str()];
        for acc in [
            product_acc.entry((p, m.term)).or_default(),
            category_acc.entry((c, m.term)).or_default(),
        ] {
            acc.mentions += 1;
            acc.negative += usize::from(m.negative);
            if let Some(month) = &r.month {
                let e = acc.months.entry(month.clone()).or_default();
                e.0 += 1;
                e.1 += usize::from(m.negative);
            }
            acc.examples
                .push((m.review, m.clause, m.p_negative, m.negative));
        }
    }
    let build = |acc: HashMap<(usize, u32), Acc>, groups: usize| -> Vec<Vec<AspectReport>> {
        let mut per: Vec<Vec<(u32, Acc)>> = (0..groups).map(|_| Vec::new()).collect();
        for ((g, t), a) in acc {
            if a.mentions >= opts.min_mentions {
                per[g].push((t, a));
            }
        }
        per.into_iter()
            .map(|mut v| {
                v.sort_by(|a, b| {
                    b.1.mentions
                        .cmp(&a.1.mentions)
                        .then_with(|| names[a.0 as usize].cmp(&names[b.0 as usize]))
                });
                v.truncate(opts.aspects_per_group);
                v.into_iter()
                    .map(|(t, a)| {
                        aspect_report(&names[t as usize], a, reviews, &cleaned, opts.examples)
                    })
                    .collect()
            })
            .collect()
    };
    let mut product_aspects = build(product_acc, product_ids.len());
    let mut category_aspects = build(category_acc, category_names.len());

    // Review counts per product and category.
    let mut p_reviews = vec![(0usize, 0usize); product_ids.len()];
    let mut p_stars = vec![(0usize, 0usize, 0i64); product_ids.len()];
    let mut p_category = vec![None; product_ids.len()];
    let mut c_reviews = vec![(0usize, 0usize); category_names.len()];
    let mut c_products: Vec<Vec<usize>> = vec![Vec::new(); category_names.len()];
    for (i, r) in reviews.iter().enumerate() {
        let p = product_index[r.product_id.as_str()];
        let c = category_index[category_of(r).as_str()];
        p_reviews[p].0 += 1;
        p_reviews[p].1 += usize::from(review_negative[i]);
        c_reviews[c].0 += 1;
        c_reviews[c].1 += usize::from(review_negative[i]);
        if let Some(s) = r.stars.filter(|s| (1..=5).contains(s)) {
            p_stars[p].0 += 1;
            p_stars[p].1 += usize::from(s <= 2);
            p_stars[p].2 += s;
        }
        if p_category[p].is_none() {
            p_category[p] = r.category.clone();
        }
        c_products[c].push(p);
    }
    let total = (
        reviews.len(),
        review_negative.iter().filter(|&&n| n).count(),
    );
    let share = |(n, neg): (usize, usize)| if n == 0 { 0.0 } else { neg as f64 / n as f64 };

    let held_back = hold_back(reviews, &review_negative, &opts.hold_back);
    let reasons: HashMap<&str, &str> = held_back
        .iter()
        .map(|h| (h.product_id.as_str(), h.reason.as_str()))
        .collect();
    let mut products = Vec::with_capacity(product_ids.len());
    for (p, id) in product_ids.iter().enumerate() {
        let own = p_reviews[p];
        let reason = reasons.get(id).map(|r| (*r).to_owned());
        let (rated, low, sum) = p_stars[p];
        products.push(ProductReport {
            product_id: (*id).to_owned(),
            category: p_category[p].clone(),
            reviews: own.0,
            negative_share: share(own),
            star_negative_share: (rated > 0).then(|| low as f64 / rated as f64),
            mean_stars: (rated > 0).then(|| sum as f64 / rated as f64),
            aspects: std::mem::take(&mut product_aspects[p]),
            held_back: reason.is_some(),
            held_back_reason: reason,
        });
    }
    products.sort_by(|a, b| {
        b.reviews
            .cmp(&a.reviews)
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    let mut categories: Vec<CategoryReport> = category_names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let mut ps = c_products[c].clone();
            ps.sort_unstable();
            ps.dedup();
            CategoryReport {
                category: name.clone(),
                products: ps.len(),
                reviews: c_reviews[c].0,
                negative_share: share(c_reviews[c]),
                aspects: std::mem::take(&mut category_aspects[c]),
            }
        })
        .collect();
    categories.sort_by(|a, b| {
        b.reviews
            .cmp(&a.reviews)
            .then_with(|| a.category.cmp(&b.category))
    });
    Analysis {
        reviews: reviews.len(),
        negative_share: share(total),
        model_used: model.is_some(),
        aspects_found,
        products,
        categories,
        held_back,
    }
}

fn aspect_report(
    name: &str,
    mut a: Acc,
    reviews: &[Review],
    cleaned: &[String],
    n: usize,
) -> AspectReport {
    // Negative mentions first, most negative first; then the rest, most positive first.
    a.examples.sort_by(|x, y| {
        y.3.cmp(&x.3)
            .then_with(|| {
                if x.3 {
                    y.2.total_cmp(&x.2)
                } else {
                    x.2.total_cmp(&y.2)
                }
            })
            .then_with(|| reviews[x.0].key.cmp(&reviews[y.0].key))
    });
    let mut examples: Vec<Quote> = Vec::new();
    for (r, (s, e), _, negative) in a.examples {
        let text: String = {
            let t = &cleaned[r][s..e];
            if t.chars().count() > 200 {
                let mut q: String = t.chars().take(199).collect();
                q.push('…');
                q
            } else {
                t.to_owned()
            }
        };
        if examples.iter().any(|q| q.text == text) {
            continue;
        }
        examples.push(Quote {
            review: reviews[r].key.clone(),
            text,
            polarity: if negative {
                Polarity::Negative
            } else {
                Polarity::Positive
            },
        });
        if examples.len() == n {
            break;
        }
    }
    AspectReport {
        aspect: name.to_owned(),
        mentions: a.mentions,
        negative_share: a.negative as f64 / a.mentions.max(1) as f64,
        trend: a
            .months
            .into_iter()
            .map(|(month, (m, neg))| MonthShare {
                month,
                mentions: m,
                negative_share: neg as f64 / m.max(1) as f64,
            })
            .collect(),
        examples,
    }
}
