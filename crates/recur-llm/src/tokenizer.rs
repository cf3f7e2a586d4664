//! Tokenizers built from GGUF metadata.
//!
//! Byte-level BPE (`tokenizer.ggml.model = gpt2`) with the pre-tokenizer that
//! `tokenizer.ggml.pre` names, and SentencePiece-style BPE (`llama`) with merges derived from the
//! token scores, as llama.cpp and Hugging Face's converters do. Control and user-defined tokens
//! (`tokenizer.ggml.token_type` 3 and 4) are matched whole in the input text.

use std::collections::HashMap;

use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::{NFC, Prepend, Replace, Sequence as NormalizerSequence};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{
    AddedToken, DecoderWrapper, NormalizerWrapper, SplitDelimiterBehavior, Tokenizer,
};

use crate::error::{Error, Result};
use crate::gguf::Metadata;

const REGEX_LLAMA3: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const REGEX_QWEN2: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The `tokenizer.ggml.pre` values this runtime knows, by pre-tokenizer rule.
pub const SUPPORTED_PRE: &[&str] = &[
    "default",
    "gpt2",
    "gpt-2",
    "smollm",
    "starcoder",
    "refact",
    "codeshell",
    "command-r",
    "llama3",
    "llama-bpe",
    "smaug-bpe",
    "falcon3",
    "qwen2",
    "deepseek-r1-qwen",
];

/// Which token-splitting family the model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    ByteLevel,
    SentencePiece { add_space_prefix: bool },
}

/// A model's tokenizer: text to token ids and back, with the raw bytes of every token.
pub struct TextTokenizer {
    inner: Tokenizer,
    family: Family,
    bos: Option<u32>,
    add_bos: bool,
    stop_ids: Vec<u32>,
    special: Vec<bool>,
    token_bytes: Vec<Vec<u8>>,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTokenizer")
            .field("family", &self.family)
            .field("vocab", &self.token_bytes.len())
            .field("bos", &self.bos)
            .field("stop_ids", &self.stop_ids)
            .finish()
    }
}

impl TextTokenizer {
    /// Builds the tokenizer that a GGUF file's metadata describes.
    pub(crate) fn from_metadata(md: Metadata<'_>) -> Result<TextTokenizer> {
        let model = md.str("tokenizer.ggml.model")?;
        let tokens = md.strings("tokenizer.ggml.tokens")?;
        let types: Vec<i64> = if md.has("tokenizer.ggml.token_type") {
            md.ints("tokenizer.ggml.token_type")?
        } else {
            vec![1; tokens.len()]
        };
        if types.len() != tokens.len() {
            return Err(Error::BadModel {
                path: md.path.to_owned(),
                reason: format!("{} token types for {} tokens", types.len(), tokens.len()),
            });
        }
        let bad = |reason: String| Error::BadModel {
            path: md.path.to_owned(),
            reason,
        };
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| ((*t).to_owned(), i as u32))
            .collect();
        let (family, mut inner) = match model {
            "gpt2" => {
                let merges = md
                    .strings("tokenizer.ggml.merges")?
                    .into_iter()
                    .map(|m| {
                        m.split_once(' ')
                            .map(|(a, b)| (a.to_owned(), b.to_owned()))
                            .ok_or_else(|| bad(format!("merge `{m}` is not two tokens")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let bpe = BPE::builder()
                    .vocab_and_merges(vocab.clone(), merges)
                    .build()
                    .map_err(|e| bad(format!("byte-level BPE: {e}")))?;
                let mut tok = Tokenizer::new(bpe);
                let pre = md.opt_str("tokenizer.ggml.pre").unwrap_or("default");
                let (normalizer, pre_tokenizer) = byte_level_pre(pre).ok_or_else(|| {
                    bad(format!(
                        "tokenizer.ggml.pre `{pre}` is not supported (supported: {})",
                        SUPPORTED_PRE.join(", ")
                    ))
                })?;
                if let Some(n) = normalizer {
                    tok.with_normalizer(Some(n)).map_err(Error::tokenizer)?;
                }
                tok.with_pre_tokenizer(Some(pre_tokenizer));
                tok.with_decoder(Some(ByteLevelDecoder::new(false, false, false)));
                (Family::ByteLevel, tok)
            }
            "llama" => {
                let scores = md.floats("tokenizer.ggml.scores")?;
                if scores.len() != tokens.len() {
                    return Err(bad(format!(
                        "{} scores for {} tokens",
                        scores.len(),
                        tokens.len()
                    )));
                }
                let merges = spm_merges(&tokens, &scores, &types);
                let mut builder = BPE::builder()
                    .vocab_and_merges(vocab, merges)
                    .byte_fallback(true)
                    .fuse_unk(true);
                if let Some(unk) = md
                    .opt_u32("tokenizer.ggml.unknown_token_id")
                    .and_then(|i| tokens.get(i as usize))
                {
                    builder = builder.unk_token((*unk).to_owned());
                }
                let bpe = builder
                    .build()
                    .map_err(|e| bad(format!("SentencePiece BPE: {e}")))?;
                let mut tok = Tokenizer::new(bpe);
                let add_space_prefix = md
                    .opt_bool("tokenizer.ggml.add_space_prefix")
                    .unwrap_or(true);
                let mut norms: Vec<NormalizerWrapper> = Vec::new();
                if add_space_prefix {
                    norms.push(Prepend::new("▁".into()).into());
                }
                norms.push(Replace::new(" ", "▁").map_err(Error::tokenizer)?.into());
                tok.with_normalizer(Some(NormalizerSequence::new(norms)))
                    .map_err(Error::tokenizer)?;
                let mut decoders: Vec<DecoderWrapper> = vec![
                    tokenizers::decoders::DecoderWrapper::Replace(
                        Replace::new("▁", " ").map_err(Error::tokenizer)?,
                    ),
                    ByteFallback::new().into(),
                    Fuse::new().into(),
                ];
                if add_space_prefix {
                    decoders.push(Strip::new(' ', 1, 0).into());
                }
                tok.with_decoder(Some(DecoderSequence::new(decoders)));
                (Family::SentencePiece { add_space_prefix }, tok)
            }
            other => {
                return Err(bad(format!(
                    "tokenizer.ggml.model `{other}` is not supported (gpt2 byte-level BPE and llama SentencePiece are)"
                )));
            }
        };
        // Control (3) and user-defined (4) tokens are matched whole before splitting.
        let added: Vec<AddedToken> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, t)| **t == 3 || **t == 4)
            .map(|(tok, t)| AddedToken::from((*tok).to_owned(), *t == 3))
            .collect();
        inner.add_special_tokens(added).map_err(Error::tokenizer)?;
        let special: Vec<bool> = types.iter().map(|t| *t == 3).collect();
        let token_bytes = tokens
            .iter()
            .zip(&types)
            .map(|(t, ty)| raw_bytes(t, *ty, family))
            .collect();
        let bos = md.opt_u32("tokenizer.ggml.bos_token_id");
        let add_bos = md
            .opt_bool("tokenizer.ggml.add_bos_token")
            .unwrap_or(family != Family::ByteLevel);
        let mut stop_ids: Vec<u32> = ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"]
            .iter()
            .filter_map(|k| md.opt_u32(k))
            .collect();
        // End-of-turn markers of common chat formats count as stops too.
        for marker in [
            "<|im_end|>",
            "<|eot_id|>",
            "<end_of_turn>",
            "<|endoftext|>",
            "<|end|>",
        ] {
            if let Some(&id) = tokens.iter().position(|t| *t == marker).as_ref() {
                let id = id as u32;
                if special.get(id as usize) == Some(&true) && !stop_ids.contains(&id) {
                    stop_ids.push(id);
                }
            }
        }
        Ok(TextTokenizer {
            inner,
            family,
            bos,
            add_bos,
            stop_ids,
            special,
            token_bytes,
        })
    }

    /// Text to token ids. Control tokens written in the text (`<|im_start|>`) become their ids;
    /// `add_bos` prepends the beginning-of-sequence token when the model asks for one.
    pub fn encode(&self, text: &str, add_bos: bool) -> Result<Vec<u32>> {
        let enc = self
            .inner
            .encode_fast(text, false)
            .map_err(Error::tokenizer)?;
        let mut ids = Vec::with_capacity(enc.len() + 1);
        if add_bos && self.add_bos {
            ids.extend(self.bos);
        }
        ids.extend_from_slice(enc.get_ids());
        Ok(ids)
    }

    /// Token ids to text; control tokens are left out when `skip_special`.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        self.inner
            .decode(ids, skip_special)
            .map_err(Error::tokenizer)
    }

    /// Number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.token_bytes.len()
    }

    /// The id of a token written exactly as in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Tokens that end generation (end of sequence, end of turn).
    pub fn stop_ids(&self) -> &[u32] {
        &self.stop_ids
    }

    /// Whether a token is a control token.
    pub fn is_special(&self, id: u32) -> bool {
        self.special.get(id as usize).copied().unwrap_or(false)
    }

    /// The bytes a token stands for in text (empty for control tokens).
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        self.token_bytes.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// Whether this is a SentencePiece model that prefixes the text with a space.
    pub(crate) fn strips_leading_space(&self) -> bool {
        matches!(
            self.family,
            Family::SentencePiece {
                add_space_prefix: true
            }
        )
    }
}

fn byte_level_pre(pre: &str) -> Option<(Option<NormalizerWrapper>, PreTokenizerWrapper)> {
    let split = |re: &str| -> Option<PreTokenizerWrapper> {
        let split = Split::new(
            SplitPattern::Regex(re.to_owned()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .ok()?;
        Some(
            Sequence::new(vec![
                split.into(),
                ByteLevel::new(false, false, false).into(),
            ])
            .into(),
        )
    };
    Some(match pre {
        // GPT-2's rule, without the prefix space (llama.cpp's `default`).
        "default" | "gpt2" | "gpt-2" => (None, ByteLevel::new(false, false, true).into()),
        // Every digit apart, then the GPT-2 rule (SmolLM, StarCoder and kin).
        "smollm" | "starcoder" | "refact" | "codeshell" | "command-r" => (
            None,
            Sequence::new(vec![
                Digits::new(true).into(),
                ByteLevel::new(false, false, true).into(),
            ])
            .into(),
        ),
        "llama3" | "llama-bpe" | "smaug-bpe" | "falcon3" => (None, split(REGEX_LLAMA3)?),
        "qwen2" | "deepseek-r1-qwen" => (Some(NFC.into()), split(REGEX_QWEN2)?),
        _ => return None,
    })
}

/// Merges for SentencePiece BPE: every split of a token into two tokens of the vocabulary,
/// ranked by the merged token's score (higher first), as Hugging Face's converter does.
fn spm_merges(tokens: &[&str], scores: &[f32], types: &[i64]) -> Vec<(String, String)> {
    let index: HashMap<&str, usize> = tokens.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    let mut merges: Vec<(f32, usize, usize, usize)> = Vec::new();
    for (id, piece) in tokens.iter().enumerate() {
        if types[id] != 1 || piece.chars().nth(1).is_none() {
            continue;
        }
        for (cut, _) in piece.char_indices().skip(1) {
            let (l, r) = piece.split_at(cut);
            if let (Some(&li), Some(&ri)) = (index.get(l), index.get(r)) {
                merges.push((scores[id], id, li, ri));
            }
        }
    }
    merges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
    merges
        .into_iter()
        .map(|(_, _, l, r)| (tokens[l].to_owned(), tokens[r].to_owned()))
        .collect()
}

/// GPT-2's byte-to-character table, inverted.
fn byte_level_decode_table() -> HashMap<char, u8> {
    let mut bytes: Vec<u8> = (b'!'..=b'~')
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut chars: Vec<u32> = bytes.iter().map(|&b| u32::from(b)).collect();
    let mut n = 0;
    for b in 0..=255u8 {
        if !bytes.contains(&b) {
            bytes.push(b);
            chars.push(256 + n);
            n += 1;
        }
    }
    bytes
        .into_iter()
        .zip(chars)
        .filter_map(|(b, c)| char::from_u32(c).map(|c| (c, b)))
        .collect()
}

fn raw_bytes(token: &str, ty: i64, family: Family) -> Vec<u8> {
    thread_local! {
        static TABLE: HashMap<char, u8> = byte_level_decode_table();
    }
    match ty {
        3 => Vec::new(),
        4 => token.as_bytes().to_vec(),
        _ => match family {
            Family::ByteLevel => {
                TABLE.with(|t| token.chars().filter_map(|c| t.get(&c).copied()).collect())
            }
            Family::SentencePiece { .. } => {
                if ty == 6
                    && let Some(hex) = token.strip_prefix("<0x").and_then(|s| s.strip_suffix('>'))
                    && let Ok(b) = u8::from_str_radix(hex, 16)
                {
                    return vec![b];
                }
                token.replace('▁', " ").into_bytes()
            }
        },
    }
}

/// Turns generated token ids into text piece by piece without ever splitting a UTF-8 character.
#[derive(Debug)]
pub struct TokenStream<'a> {
    tokenizer: &'a TextTokenizer,
    pending: Vec<u8>,
    at_start: bool,
}

impl<'a> TokenStream<'a> {
    /// A stream for one generated answer.
    pub fn new(tokenizer: &'a TextTokenizer) -> TokenStream<'a> {
        TokenStream {
            tokenizer,
            pending: Vec::new(),
            at_start: true,
        }
    }

    /// Adds a token; returns the text that is now complete (possibly empty).
    pub fn push(&mut self, id: u32) -> String {
        let mut bytes = self.tokenizer.token_bytes(id);
        if self.at_start && !bytes.is_empty() {
            self.at_start = false;
            if self.tokenizer.strips_leading_space() && bytes.first() == Some(&b' ') {
                bytes = &bytes[1..];
            }
        }
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            // An invalid sequence that no later byte can complete: emit it as U+FFFD.
            Err(e) => e.valid_up_to() + e.error_len().unwrap_or(0),
        };
        let out: Vec<u8> = self.pending.drain(..valid).collect();
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Whatever is left at the end (an incomplete character becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::gguf_file::Value;
    use std::path::Path;

    fn md_map(
        model: &str,
        tokens: &[&str],
        types: &[i32],
        extra: Vec<(&str, Value)>,
    ) -> HashMap<String, Value> {
        let mut m = HashMap::new();
        m.insert("tokenizer.ggml.model".into(), Value::String(model.into()));
        m.insert(
            "tokenizer.ggml.tokens".into(),
            Value::Array(tokens.iter().map(|t| Value::String((*t).into())).collect()),
        );
        m.insert(
            "tokenizer.ggml.token_type".into(),
            Value::Array(types.iter().map(|t| Value::I32(*t)).collect()),
        );
        for (k, v) in extra {
            m.insert(k.into(), v);
        }
        m
    }

    #[test]
    fn sentencepiece_merges_follow_scores_and_bytes_fall_back() {
        let tokens = [
            "<unk>", "<s>", "</s>", "▁", "h", "e", "l", "o", "he", "ll", "hell", "▁hell", "<0xE2>",
            "<0x82>", "<0xAC>",
        ];
        let types = [2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6, 6, 6];
        let scores: Vec<Value> = [
            0., 0., 0., -1., -2., -2., -2., -2., -1.5, -1.2, -1.0, -0.5, 0., 0., 0.,
        ]
        .iter()
        .map(|s| Value::F32(*s))
        .collect();
        let map = md_map(
            "llama",
            &tokens,
            &types,
            vec![
                ("tokenizer.ggml.scores", Value::Array(scores)),
                ("tokenizer.ggml.bos_token_id", Value::U32(1)),
                ("tokenizer.ggml.eos_token_id", Value::U32(2)),
                ("tokenizer.ggml.unknown_token_id", Value::U32(0)),
            ],
        );
        let tok = TextTokenizer::from_metadata(Metadata {
            path: Path::new("t.gguf"),
            map: &map,
        })
        .unwrap();
        let ids = tok.encode("hello €", true).unwrap();
        // <s> ▁hell o ▁ € as three bytes.
        assert_eq!(ids, vec![1, 11, 7, 3, 12, 13, 14]);
        assert_eq!(tok.decode(&ids, true).unwrap(), "hello €");
        let mut stream = TokenStream::new(&tok);
        let text: String =
            ids[1..].iter().map(|&i| stream.push(i)).collect::<String>() + &stream.finish();
        assert_eq!(text, "hello €");
        assert_eq!(tok.stop_ids(), &[2]);
    }

    #[test]
    fn stream_never_splits_a_character() {
        // In GPT-2's byte table "Ã" stands for byte 0xC3 and "¢" for 0xA2: together "â".
        let tokens = ["a", "Ã", "¢", "<|im_end|>"];
        let map = md_map(
            "gpt2",
            &tokens,
            &[1, 1, 1, 3],
            vec![
                ("tokenizer.ggml.merges", Value::Array(vec![])),
                ("tokenizer.ggml.pre", Value::String("smollm".into())),
            ],
        );
        let tok = TextTokenizer::from_metadata(Metadata {
            path: Path::new("t.gguf"),
            map: &map,
        })
        .unwrap();
        assert_eq!(tok.token_bytes(1), &[0xC3]);
        assert_eq!(tok.token_bytes(3), b"");
        let mut s = TokenStream::new(&tok);
        assert_eq!(s.push(0), "a");
        assert_eq!(s.push(1), "", "half a character is held back");
        assert_eq!(s.push(2), "â");
        assert_eq!(tok.stop_ids(), &[3]);
        assert!(tok.is_special(3));
    }

    #[test]
    fn unknown_pre_tokenizer_is_refused_by_name() {
        let map = md_map(
            "gpt2",
            &["a"],
            &[1],
            vec![
                ("tokenizer.ggml.merges", Value::Array(vec![])),
                ("tokenizer.ggml.pre", Value::String("martian".into())),
            ],
        );
        let err = TextTokenizer::from_metadata(Metadata {
            path: Path::new("x.gguf"),
            map: &map,
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("`martian` is not supported"),
            "{err}"
        );
    }
}
