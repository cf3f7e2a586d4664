//! Text analysis shared by indexing and querying: jieba segmentation (search mode, so long
//! Chinese words are also indexed as their parts), lower case, English stemming, and the stop
//! words that carry no meaning on their own in either language.

use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// The segmenter with its embedded dictionary, built once per process (about 0.2 s).
static JIEBA: LazyLock<Arc<Jieba>> = LazyLock::new(|| Arc::new(Jieba::new()));

/// The name the analyzer is registered under in the tantivy index.
pub(crate) const ANALYZER: &str = "recur_jieba";

/// A tantivy tokenizer that segments with jieba and keeps words only (no spaces or punctuation).
#[derive(Clone)]
pub(crate) struct JiebaTokenizer {
    jieba: Arc<Jieba>,
}

impl JiebaTokenizer {
    pub(crate) fn new() -> JiebaTokenizer {
        JiebaTokenizer {
            jieba: Arc::clone(&JIEBA),
        }
    }
}

/// The words of one text, in order.
pub(crate) struct JiebaStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = JiebaStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JiebaStream {
        let tokens = self
            .jieba
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| t.word.chars().any(char::is_alphanumeric))
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position,
                text: t.word.to_owned(),
                position_length: 1,
            })
            .collect();
        JiebaStream { tokens, next: 0 }
    }
}

impl TokenStream for JiebaStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The analyzer used for every text field: jieba words, at most 40 bytes, lower case, English
/// stems (Chinese words pass the stemmer unchanged).
pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(JiebaTokenizer::new())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analysed terms of `text`, as the index sees them.
pub fn terms(text: &str) -> Vec<String> {
    let mut a = analyzer();
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The terms of `text` that carry meaning: [`terms`] without stop words, deduplicated in order.
pub fn content_terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in terms(text) {
        if !is_stop_word(&t) && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Function words of English (after stemming) and Chinese that say nothing about a topic.
fn is_stop_word(term: &str) -> bool {
    const EN: &[&str] = &[
        "a", "about", "am", "an", "and", "ani", "are", "as", "at", "be", "been", "but", "by",
        "can", "could", "do", "doe", "for", "from", "get", "had", "has", "have", "how", "i", "if",
        "in", "is", "it", "its", "me", "mi", "my", "of", "on", "or", "our", "pleas", "should",
        "so", "that", "the", "their", "there", "thi", "to", "us", "wa", "we", "what", "when",
        "where", "which", "who", "whi", "will", "with", "would", "you", "your", "hi", "hello",
        "thank", "thanks", "ok", "okay",
    ];
    const ZH: &[&str] = &[
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "我",
        "你",
        "您",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "是",
        "在",
        "有",
        "和",
        "与",
        "就",
        "都",
        "也",
        "还",
        "要",
        "会",
        "能",
        "可以",
        "怎么",
        "怎么样",
        "如何",
        "什么",
        "多少",
        "哪",
        "哪里",
        "请问",
        "请",
        "一下",
        "这个",
        "那个",
        "这",
        "那",
        "时候",
        "什么时候",
        "个",
        "吗",
        "么",
        "嗯",
        "哦",
        "好",
        "谢谢",
        "亲",
        "么",
        "下",
    ];
    // Single Latin letters are left from contractions ("I'm" → "i", "m").
    (term.len() == 1 && term.is_ascii()) || EN.contains(&term) || ZH.contains(&term)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_segmented_into_words_and_their_parts() {
        let t = terms("退款多久能到账？");
        assert!(t.contains(&"退款".to_string()), "{t:?}");
        assert!(t.contains(&"多久".to_string()), "{t:?}");
        assert!(!t.iter().any(|w| w == "？"), "{t:?}");
    }

    #[test]
    fn english_is_lower_cased_and_stemmed() {
        assert_eq!(terms("Refunds TAKING"), vec!["refund", "take"]);
    }

    #[test]
    fn mixed_text_keeps_both_scripts() {
        let t = content_terms("我的iPhone订单");
        assert!(t.contains(&"iphon".to_string()), "{t:?}");
        assert!(t.contains(&"订单".to_string()), "{t:?}");
        assert!(!t.contains(&"我".to_string()), "{t:?}");
    }
}
