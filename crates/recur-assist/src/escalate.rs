//! When a person must take over: the customer asks for an action the assistant cannot take
//! (refund, cancellation, a complaint, account security, a person), or is angry. Retrieval
//! confidence is judged by the caller; these rules read the message itself, in English and
//! Chinese, and are deliberately transparent (each match names the words that caused it).

use serde::Serialize;

use crate::language::Lang;

/// Why a conversation goes to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// The knowledge does not answer the question well enough.
    LowConfidence,
    /// Money back for a specific purchase, a charge dispute or a billing error.
    Refund,
    /// Cancelling an order, a subscription or a charge.
    Cancellation,
    /// A formal complaint, legal threat or report about staff.
    Complaint,
    /// A hacked or misused account, fraud, a changed password.
    AccountSecurity,
    /// The customer asks for a person.
    HumanRequested,
    /// The customer is angry.
    Angry,
}

impl EscalationReason {
    /// A sentence for the agent who takes over (and the JSON `reason`).
    pub fn describe(self) -> &'static str {
        match self {
            EscalationReason::LowConfidence => "the shop's knowledge does not answer this question",
            EscalationReason::Refund => "a refund or billing correction needs a person to act",
            EscalationReason::Cancellation => "a cancellation needs a person to act",
            EscalationReason::Complaint => "a complaint needs a person",
            EscalationReason::AccountSecurity => "account security needs a person to act",
            EscalationReason::HumanRequested => "the customer asked for a person",
            EscalationReason::Angry => "the customer is upset",
        }
    }

    /// The reason's stable code.
    pub fn code(self) -> &'static str {
        match self {
            EscalationReason::LowConfidence => "low_confidence",
            EscalationReason::Refund => "refund",
            EscalationReason::Cancellation => "cancellation",
            EscalationReason::Complaint => "complaint",
            EscalationReason::AccountSecurity => "account_security",
            EscalationReason::HumanRequested => "human_requested",
            EscalationReason::Angry => "angry",
        }
    }
}

/// A rule that fired: the reason and the words that triggered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    /// Why.
    pub reason: EscalationReason,
    /// The words in the message that triggered the rule.
    pub trigger: String,
}

fn find<'a>(text: &str, words: &[&'a str]) -> Option<&'a str> {
    words.iter().copied().find(|w| {
        if w.is_ascii() {
            // Whole-word match for English (so "scam" does not fire inside "scamper").
            text.match_indices(w).any(|(i, _)| {
                let before = text[..i].chars().next_back();
                let after = text[i + w.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
        } else {
            text.contains(w)
        }
    })
}

// Words that ask for something to be done, rather than how something works.
const DEMAND_EN: &[&str] = &[
    "i want",
    "i need",
    "i'd like",
    "i would like",
    "i demand",
    "i expect",
    "give me",
    "i want my",
    "please refund",
    "please cancel",
    "refund me",
    "now",
    "asap",
    "immediately",
    "right away",
    "today",
    "process my",
    "issue a",
    "issue my",
    "get my money",
    "want my money",
    "stop charging",
    "stop the",
    "reverse",
];
const INFO_EN: &[&str] = &[
    "how long",
    "how do",
    "how can",
    "how does",
    "what is",
    "what's",
    "what are",
    "do you",
    "is there",
    "when will i",
    "can i",
    "policy",
    "how much",
    "how many",
    "where can",
];
const DEMAND_ZH: &[&str] = &[
    "我要", "给我", "马上", "立刻", "立即", "赶紧", "必须", "帮我", "尽快", "申请", "要求",
];

/// The rules, in order of precedence: security, complaint, human, refund, cancellation, anger.
pub fn escalation(message: &str) -> Option<Escalation> {
    let lang = Lang::detect(message);
    let lower = message.to_lowercase();
    let t = lower.as_str();
    let hit = |reason, trigger: &str| {
        Some(Escalation {
            reason,
            trigger: trigger.to_owned(),
        })
    };

    const SECURITY: &[&str] = &[
        "hacked",
        "hacker",
        "compromised",
        "unauthorized",
        "unauthorised",
        "someone else",
        "someone logged",
        "someone changed",
        "stolen",
        "fraud",
        "fraudulent",
        "phishing",
        "identity theft",
        "not me",
        "wasn't me",
        "didn't make this",
        "did not make this",
        "password was changed",
        "changed my password",
        "locked out",
        "被盗",
        "盗号",
        "被黑",
        "异地登录",
        "不是我本人",
        "不是本人",
        "诈骗",
        "盗刷",
        "账号被",
        "密码被",
    ];
    if let Some(w) = find(t, SECURITY) {
        return hit(EscalationReason::AccountSecurity, w);
    }
    const COMPLAINT: &[&str] = &[
        "complaint",
        "complain",
        "report your",
        "report an employee",
        "report a staff",
        "rude",
        "lawyer",
        "attorney",
        "legal action",
        "sue you",
        "sue your",
        "court",
        "small claims",
        "better business bureau",
        "bbb",
        "consumer protection",
        "投诉",
        "举报",
        "律师",
        "起诉",
        "消协",
        "12315",
        "态度差",
        "态度恶劣",
    ];
    if let Some(w) = find(t, COMPLAINT) {
        return hit(EscalationReason::Complaint, w);
    }
    const HUMAN: &[&str] = &[
        "human",
        "real person",
        "live agent",
        "an agent",
        "a person",
        "representative",
        "speak to someone",
        "talk to someone",
        "speak with someone",
        "talk to a",
        "speak to a",
        "manager",
        "supervisor",
        "call me",
        "转人工",
        "人工客服",
        "人工服务",
        "真人",
        "找人工",
    ];
    if let Some(w) = find(t, HUMAN) {
        return hit(EscalationReason::HumanRequested, w);
    }

    let demand = find(t, DEMAND_EN).or_else(|| find(t, DEMAND_ZH));
    let informational = INFO_EN.iter().any(|w| t.trim_start().starts_with(w))
        || ["怎么", "如何", "多久", "几天", "吗", "能不能", "可以"]
            .iter()
            .any(|w| t.contains(w))
            && demand.is_none();
    let specific_order = mentions_order_number(t);
    let acting = demand.is_some() || specific_order;

    const BILLING: &[&str] = &[
        "charged twice",
        "double charged",
        "double-charged",
        "overcharged",
        "charged me twice",
        "wrong amount",
        "chargeback",
        "dispute the charge",
        "dispute this charge",
        "money back",
        "扣了两次",
        "多扣",
        "重复扣款",
        "扣错",
    ];
    if let Some(w) = find(t, BILLING) {
        return hit(EscalationReason::Refund, w);
    }
    const REFUND: &[&str] = &["refund", "reimburse", "money back", "退款", "退钱", "返还"];
    if let Some(w) = find(t, REFUND)
        && acting
        && !(informational && demand.is_none())
    {
        return hit(EscalationReason::Refund, w);
    }
    const CANCEL: &[&str] = &[
        "cancel",
        "cancellation",
        "unsubscribe from",
        "取消订单",
        "取消",
    ];
    if let Some(w) = find(t, CANCEL)
        && acting
        && !(informational && demand.is_none())
    {
        return hit(EscalationReason::Cancellation, w);
    }

    if let Some(w) = anger(message, t, lang) {
        return hit(EscalationReason::Angry, &w);
    }
    None
}

/// An order number: `#123`, `order 123456`, `订单123456`, or a run of 6+ digits.
fn mentions_order_number(t: &str) -> bool {
    let chars: Vec<char> = t.chars().collect();
    let mut run = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            run += 1;
            if run == 1 && i > 0 && chars[i - 1] == '#' {
                return true;
            }
            if run >= 6 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    if ["order no", "order number", "order #", "订单号"]
        .iter()
        .any(|w| t.contains(w))
    {
        return true;
    }
    // "order 55019", "订单 55019": a number of 3+ digits right after the word.
    ["order ", "order: ", "订单", "订单 "].iter().any(|w| {
        t.match_indices(w).any(|(i, _)| {
            t[i + w.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .count()
                >= 3
        })
    })
}

fn anger(original: &str, t: &str, lang: Lang) -> Option<String> {
    const WORDS: &[&str] = &[
        "ridiculous",
        "terrible",
        "worst",
        "useless",
        "scam",
        "scammers",
        "disgusting",
        "pathetic",
        "unacceptable",
        "fed up",
        "sick of",
        "furious",
        "angry",
        "outraged",
        "wtf",
        "damn",
        "hell",
        "stupid",
        "idiot",
        "idiots",
        "incompetent",
        "a joke",
        "never again",
        "never buying",
        "never shop",
        "shit",
        "crap",
        "bullshit",
        "fuck",
        "fucking",
        "awful",
        "horrible",
        "rip-off",
        "ripoff",
        "rip off",
        "garbage",
        "trash",
        "liars",
        "lied to",
        "垃圾",
        "气死",
        "骗子",
        "太差",
        "差评",
        "无语",
        "什么破",
        "滚",
        "恶心",
        "忍无可忍",
        "seriously",
        "one-star",
        "one star review",
        "1-star",
        "a**",
        "坑人",
        "骗人",
        "太坑",
        "欺骗",
        "废物",
        "搞什么",
        "太过分",
        "退货退款都不行",
    ];
    if let Some(w) = find(t, WORDS) {
        return Some(w.to_owned());
    }
    let bangs = original.chars().filter(|&c| c == '!' || c == '！').count();
    if bangs >= 3
        || ["!!", "！！", "?!", "??", "？？"]
            .iter()
            .any(|w| original.contains(w))
    {
        return Some("!!".to_owned());
    }
    if lang == Lang::En {
        let letters: Vec<char> = original.chars().filter(char::is_ascii_alphabetic).collect();
        let upper = letters.iter().filter(|c| c.is_ascii_uppercase()).count();
        let caps_words = original
            .split_whitespace()
            .filter(|w| {
                w.len() >= 3
                    && w.chars().all(|c| !c.is_ascii_lowercase())
                    && w.chars().any(|c| c.is_ascii_uppercase())
            })
            .count();
        if letters.len() >= 12 && upper * 10 >= letters.len() * 6 || caps_words >= 3 {
            return Some("CAPITALS".to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> Option<EscalationReason> {
        escalation(s).map(|e| e.reason)
    }

    #[test]
    fn questions_about_policy_are_not_escalated() {
        for q in [
            "How long do refunds take?",
            "What is your return policy?",
            "Can I cancel my order?",
            "How do I track my order?",
            "退款多久能到账？",
            "怎么取消订单？",
            "Do you ship to Canada?",
        ] {
            assert_eq!(reason(q), None, "{q}");
        }
    }

    #[test]
    fn actions_escalate_with_their_reason() {
        assert_eq!(
            reason("I want a refund for order 123456 now"),
            Some(EscalationReason::Refund)
        );
        assert_eq!(
            reason("You charged me twice for the same order"),
            Some(EscalationReason::Refund)
        );
        assert_eq!(
            reason("Please cancel my subscription immediately"),
            Some(EscalationReason::Cancellation)
        );
        assert_eq!(
            reason("My account was hacked and someone changed my password"),
            Some(EscalationReason::AccountSecurity)
        );
        assert_eq!(
            reason("I want to file a complaint about your driver"),
            Some(EscalationReason::Complaint)
        );
        assert_eq!(
            reason("Can I talk to a real person?"),
            Some(EscalationReason::HumanRequested)
        );
        assert_eq!(
            reason("我要退款，马上给我退"),
            Some(EscalationReason::Refund)
        );
        assert_eq!(
            reason("我的账号被盗了"),
            Some(EscalationReason::AccountSecurity)
        );
        assert_eq!(
            reason("我要投诉你们的快递员"),
            Some(EscalationReason::Complaint)
        );
        assert_eq!(reason("转人工"), Some(EscalationReason::HumanRequested));
    }

    #[test]
    fn anger_escalates() {
        assert_eq!(
            reason("This is RIDICULOUS, where is my package"),
            Some(EscalationReason::Angry)
        );
        assert_eq!(
            reason("WHERE IS MY ORDER I HAVE WAITED FOR WEEKS"),
            Some(EscalationReason::Angry)
        );
        assert_eq!(
            reason("Still nothing!!! answer me"),
            Some(EscalationReason::Angry)
        );
        assert_eq!(
            reason("什么破快递，气死我了"),
            Some(EscalationReason::Angry)
        );
        assert_eq!(reason("Is the scamper toy in stock?"), None);
    }
}
