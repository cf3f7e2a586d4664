//! Order questions ("where is my order", "what did I buy") answered from the shop's own orders
//! of the signed-in customer only, written from the facts (no language model, no personal data).

use serde::Serialize;

use crate::language::Lang;

/// What the customer asks about their orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderQuestion {
    /// The state of the latest order.
    Status,
    /// What they bought.
    Items,
}

/// One order as the answer states it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderFacts {
    /// The shop's order id.
    pub order_id: String,
    /// Day ordered, `YYYY-MM-DD`.
    pub day: String,
    /// Status as stored (completed, cancelled, returned ...).
    pub status: String,
    /// Product titles (or ids when untitled) with quantities.
    pub items: Vec<(String, i64)>,
}

/// Looks up a customer's orders (the engine implements it over the workspace).
pub trait OrderLookup {
    /// The customer's `limit` most recent orders, newest first; empty for an unknown customer.
    fn orders(
        &self,
        customer_id: &str,
        limit: usize,
    ) -> std::result::Result<Vec<OrderFacts>, String>;
}

/// Whether `message` asks about the customer's own orders.
pub fn order_question(message: &str) -> Option<OrderQuestion> {
    let t = message.to_lowercase();
    const ITEMS: &[&str] = &[
        "what did i buy",
        "what did i order",
        "what have i bought",
        "what have i ordered",
        "what i bought",
        "what i ordered",
        "my purchases",
        "my purchase history",
        "my order history",
        "my past orders",
        "my previous orders",
        "我买了什么",
        "我买过什么",
        "我买的什么",
        "买过哪些",
        "购买记录",
        "历史订单",
        "我下了什么单",
    ];
    const STATUS: &[&str] = &[
        "where is my order",
        "where's my order",
        "my order status",
        "status of my order",
        "where is my package",
        "where's my package",
        "has my order shipped",
        "did my order ship",
        "when will my order",
        "track my order",
        "my last order",
        "my latest order",
        "my recent order",
        "my order",
        "我的订单",
        "订单状态",
        "订单到哪",
        "到哪了",
        "发货了吗",
        "什么时候发货",
        "我的快递",
        "我的包裹",
    ];
    if ITEMS.iter().any(|w| t.contains(w)) {
        Some(OrderQuestion::Items)
    } else if STATUS.iter().any(|w| t.contains(w)) {
        Some(OrderQuestion::Status)
    } else {
        None
    }
}

fn items_text(items: &[(String, i64)], lang: Lang) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(3)
        .map(|(t, q)| match lang {
            Lang::En if *q > 1 => format!("{q} x {t}"),
            Lang::Zh if *q > 1 => format!("{t} ×{q}"),
            _ => t.clone(),
        })
        .collect();
    let more = items.len().saturating_sub(3);
    match lang {
        Lang::En if more > 0 => format!("{} and {more} more", shown.join(", ")),
        Lang::En => shown.join(", "),
        Lang::Zh if more > 0 => format!("{} 等{}件", shown.join("、"), items.len()),
        Lang::Zh => shown.join("、"),
    }
}

fn status_word(status: &str, lang: Lang) -> String {
    match (lang, status) {
        (Lang::Zh, "completed") => "已完成".into(),
        (Lang::Zh, "cancelled") => "已取消".into(),
        (Lang::Zh, "returned") => "已退货".into(),
        (Lang::Zh, "pending") => "处理中".into(),
        _ => status.to_owned(),
    }
}

/// The answer to `q` from `orders` (newest first), in `lang`.
pub fn order_answer(q: OrderQuestion, orders: &[OrderFacts], lang: Lang) -> String {
    let Some(latest) = orders.first() else {
        return match lang {
            Lang::En => "I can't find any orders on your account.".into(),
            Lang::Zh => "您的账户下没有查到订单。".into(),
        };
    };
    match (q, lang) {
        (OrderQuestion::Status, Lang::En) => format!(
            "Your most recent order, {}, placed on {}, is recorded as {}: {}.",
            latest.order_id,
            latest.day,
            latest.status,
            items_text(&latest.items, lang)
        ),
        (OrderQuestion::Status, Lang::Zh) => format!(
            "您最近的订单{}（{}下单）状态为{}：{}。",
            latest.order_id,
            latest.day,
            status_word(&latest.status, lang),
            items_text(&latest.items, lang)
        ),
        (OrderQuestion::Items, Lang::En) => {
            let lines: Vec<String> = orders
                .iter()
                .map(|o| {
                    format!(
                        "{} ({}, {}): {}",
                        o.order_id,
                        o.day,
                        o.status,
                        items_text(&o.items, lang)
                    )
                })
                .collect();
            format!("Your recent orders: {}.", lines.join("; "))
        }
        (OrderQuestion::Items, Lang::Zh) => {
            let lines: Vec<String> = orders
                .iter()
                .map(|o| {
                    format!(
                        "{}（{}，{}）：{}",
                        o.order_id,
                        o.day,
                        status_word(&o.status, lang),
                        items_text(&o.items, lang)
                    )
                })
                .collect();
            format!("您最近的订单：{}。", lines.join("；"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_questions_are_recognised() {
        assert_eq!(
            order_question("Where is my order?"),
            Some(OrderQuestion::Status)
        );
        assert_eq!(
            order_question("what did I buy last time"),
            Some(OrderQuestion::Items)
        );
        assert_eq!(
            order_question("我的订单到哪了"),
            Some(OrderQuestion::Status)
        );
        assert_eq!(order_question("How long do refunds take?"), None);
    }

    #[test]
    fn answers_state_the_facts() {
        let o = vec![OrderFacts {
            order_id: "A17".into(),
            day: "2026-11-02".into(),
            status: "completed".into(),
            items: vec![("Green tea".into(), 2), ("Cup".into(), 1)],
        }];
        assert_eq!(
            order_answer(OrderQuestion::Status, &o, Lang::En),
            "Your most recent order, A17, placed on 2026-11-02, is recorded as completed: 2 x Green tea, Cup."
        );
        assert!(
            order_answer(OrderQuestion::Items, &o, Lang::Zh).contains("A17（2026-11-02，已完成）")
        );
        assert!(order_answer(OrderQuestion::Items, &[], Lang::En).contains("can't find"));
    }
}
