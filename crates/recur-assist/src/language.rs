//! The language of a customer's message (answers are given in it).

use serde::{Deserialize, Serialize};

/// A language the assistant answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    /// English.
    #[serde(rename = "en")]
    En,
    /// Chinese (simplified or traditional).
    #[serde(rename = "zh")]
    Zh,
}

impl Lang {
    /// The language of `text`: Chinese when Han characters carry at least as much of it as
    /// Latin letters do (a Chinese word is about two characters, an English one about five
    /// letters), English otherwise.
    pub fn detect(text: &str) -> Lang {
        let han = text.chars().filter(|&c| is_han(c)).count();
        let latin = text.chars().filter(char::is_ascii_alphabetic).count();
        if han > 0 && han * 5 >= latin * 2 {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

/// A CJK unified ideograph.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_both_languages() {
        assert_eq!(Lang::detect("How long do refunds take?"), Lang::En);
        assert_eq!(Lang::detect("退款多久到账？"), Lang::Zh);
        assert_eq!(Lang::detect("我的iPhone订单到哪了"), Lang::Zh);
        assert_eq!(
            Lang::detect("Is the 茶 tea organic and fair trade?"),
            Lang::En
        );
        assert_eq!(Lang::detect(""), Lang::En);
    }
}
