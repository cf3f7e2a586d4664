//! Small built-in word lists: polarity words per language (the lexicon baseline) and the
//! words that are never aspects (function words, common verbs, adverbs and adjectives).

/// English positive words, separated by white space.
pub(crate) const EN_POSITIVE: &str = "\
    good great excellent amazing awesome love loved loves like liked nice perfect best \
    wonderful fantastic happy pleased recommend recommended beautiful soft comfortable \
    favorite favourite works worth fast easy smooth lovely fresh gentle impressed satisfied \
    glad superb quality well fine exactly helps refreshing";

/// English negative words, separated by white space.
pub(crate) const EN_NEGATIVE: &str = "\
    bad poor terrible awful horrible worst hate hated broke broken disappointed \
    disappointing waste return returned refund cheap useless junk smells sticky itchy rash \
    burn burned leaked leaking fake defective damaged unfortunately worse wrong never not \
    didn't doesn't don't no stopped irritation greasy dry";

/// Chinese positive words, separated by white space.
pub(crate) const ZH_POSITIVE: &str = "\
    好 不错 很好 满意 喜欢 推荐 值得 漂亮 舒服 方便 快 好用 实惠 划算 正品 新鲜 好吃 干净 棒 赞 完美 清晰 流畅 物美价廉 超值 支持 热情 周到 舒适 惊喜 \
    愉快 精美";

/// Chinese negative words, separated by white space.
pub(crate) const ZH_NEGATIVE: &str = "\
    差 不好 失望 垃圾 退货 退款 太差 糟糕 坏 慢 贵 假货 难用 后悔 问题 投诉 破 脏 难吃 不满意 不值 烂 不行 差劲 骗 发霉 异味 死机 卡 少 没有 不";

/// English words that are never aspects, separated by white space.
pub(crate) const EN_STOP: &str = "\
    leave apply applied purchase purchased order ordered received arrived started clean \
    seemed absolutely actually ago anyone anything company brand products \
    a about above after again against all also always am an and any are around as at away \
    back be because been before being below better between both bought but buy by came can \
    can't come could couldn't day days did didn't different do does doesn't doing don't done \
    down during each either else enough even ever every everything far feel feels few find \
    first for found from further get gets getting give go goes going got had has have having \
    he her here hers him his how however i i'm i've if in into is isn't it it's its itself \
    just keep know last less little long look looks lot lots made make makes many may me \
    might more most much must my myself need needed new next no nor not now of off often old \
    on once one only or other others our out over own part people pretty put quite rather re \
    really right said same say see seem seems she should since so some something still such \
    sure take than that that's the their them then there these they thing things think this \
    those though through time times to too took try tried two under until up us use used \
    using very want wanted was wasn't way we well went were what when where which while who \
    why will with without won't work worked working works would wouldn't year years yet you \
    your product item items stars star five four three amazon review reviews bit ok okay \
    great good love like nice best bad perfect happy excellent amazing awesome highly \
    definitely recommend wonderful";

/// Chinese words that are never aspects, separated by white space.
pub(crate) const ZH_STOP: &str = "\
    东西 时候 感觉 大家 朋友 问题 地方 方面 样子 事情 情况 有点 一下 一点 商品 产品 宝贝 卖家 买家 评价 好评 差评 京东 淘宝 本人 自己 我们 他们 东东 \
    觉得 没有 不错 以后 原因 结果 之前 现在 真是 还是 一样 第一次 总体 总之 整体";

/// The words of a white-space separated list.
pub(crate) fn words(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.split_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_have_no_duplicates_and_are_lower_case() {
        for list in [
            EN_POSITIVE,
            EN_NEGATIVE,
            EN_STOP,
            ZH_POSITIVE,
            ZH_NEGATIVE,
            ZH_STOP,
        ] {
            let mut v: Vec<&str> = words(list).collect();
            assert!(v.len() > 20);
            v.sort_unstable();
            let n = v.len();
            v.dedup();
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|w| w.to_lowercase() == *w));
        }
    }
}
