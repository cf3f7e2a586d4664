//! Knowledge files into passages: FAQs (JSON, JSON lines, CSV or Markdown question/answer
//! pairs) and policy documents (Markdown, chunked by heading).

use std::collections::{BTreeMap, HashMap};

use recur_retrieval::Passage;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::language::Lang;

/// What a knowledge file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnowledgeKind {
    /// Question/answer pairs: each pair is one passage, titled by its question.
    Faq,
    /// A document: each section (under a heading) is one passage or more, titled by its
    /// heading path.
    Policy,
}

impl KnowledgeKind {
    /// The kind's name as stored on passages.
    pub fn name(self) -> &'static str {
        match self {
            KnowledgeKind::Faq => "faq",
            KnowledgeKind::Policy => "policy",
        }
    }

    /// Parses `faq` or `policy`.
    pub fn parse(s: &str) -> Option<KnowledgeKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "faq" => Some(KnowledgeKind::Faq),
            "policy" | "policies" | "doc" | "document" => Some(KnowledgeKind::Policy),
            _ => None,
        }
    }
}

/// Sections longer than this are split at paragraph boundaries.
const MAX_CHUNK_CHARS: usize = 1200;

/// Reads a knowledge file. `source` names it in the index (passage ids are `source#N` for FAQ
/// entry N, counted from 0 in file order, and `source#heading-slug` for policy sections);
/// `kind` overrides the guess from the extension and content (`.md` with mostly question
/// headings is an FAQ, other Markdown a policy; JSON, JSON lines and CSV are FAQs).
pub fn parse_knowledge(
    source: &str,
    bytes: &[u8],
    kind: Option<KnowledgeKind>,
) -> Result<Vec<Passage>> {
    let bad = |line: usize, reason: String, hint: &str| Error::BadKnowledge {
        file: source.to_owned(),
        line,
        reason,
        hint: hint.to_owned(),
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        bad(
            line,
            "the file is not UTF-8 text".into(),
            "save it as UTF-8",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lower = source.to_ascii_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or("");
    let pairs = match ext {
        "json" => json_pairs(source, text)?,
        "jsonl" | "ndjson" => jsonl_pairs(source, text)?,
        "csv" => csv_pairs(source, text)?,
        "md" | "markdown" | "txt" => {
            let sections = markdown_sections(text);
            let questions = sections
                .iter()
                .filter(|s| s.heading.ends_with('?') || s.heading.ends_with('？'))
                .count();
            let as_faq = match kind {
                Some(k) => k == KnowledgeKind::Faq,
                None => !sections.is_empty() && questions * 5 >= sections.len() * 3,
            };
            if !as_faq {
                return Ok(policy_passages(source, &sections));
            }
            sections
                .into_iter()
                .filter(|s| !s.heading.is_empty())
                .map(|s| (s.heading, s.body, s.line))
                .collect()
        }
        _ => {
            return Err(bad(
                0,
                format!("unknown knowledge file type `.{ext}`"),
                "give a .json, .jsonl, .csv or .md file (FAQ pairs or a Markdown policy)",
            ));
        }
    };
    if kind == Some(KnowledgeKind::Policy) && ext != "md" && ext != "markdown" && ext != "txt" {
        return Err(bad(
            0,
            "only Markdown files can be read as a policy document".into(),
            "drop `--kind policy`, or convert the document to Markdown",
        ));
    }
    let mut out = Vec::with_capacity(pairs.len());
    for (i, (q, a, line)) in pairs.into_iter().enumerate() {
        if q.trim().is_empty() || a.trim().is_empty() {
            return Err(bad(
                line,
                format!("FAQ entry {i} has an empty question or answer"),
                "fill in both, or remove the entry",
            ));
        }
        let mut meta = BTreeMap::new();
        meta.insert("lang".to_owned(), Lang::detect(&q).tag().to_owned());
        out.push(Passage {
            id: format!("{source}#{i}"),
            source: source.to_owned(),
            kind: KnowledgeKind::Faq.name().to_owned(),
            title: q.trim().to_owned(),
            text: a.trim().to_owned(),
            meta,
        });
    }
    if out.is_empty() {
        return Err(bad(
            0,
            "no question/answer pairs found".into(),
            "an FAQ needs `question` and `answer` fields (JSON, JSON lines, CSV) or `## question` headings (Markdown)",
        ));
    }
    Ok(out)
}

/// (question, answer, line) triples.
type Pairs = Vec<(String, String, usize)>;

fn field<'a>(obj: &'a serde_json::Map<String, Value>, names: &[&str]) -> Option<&'a str> {
    obj.iter()
        .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .and_then(|(_, v)| v.as_str())
}

const QUESTION: &[&str] = &["question", "q", "title", "query", "问题"];
const ANSWER: &[&str] = &[
    "answer", "a", "response", "reply", "content", "答案", "回答",
];

fn pair_of(source: &str, v: &Value, i: usize, line: usize) -> Result<(String, String, usize)> {
    let obj = v.as_object().ok_or_else(|| Error::BadKnowledge {
        file: source.to_owned(),
        line,
        reason: format!("FAQ entry {i} is not an object"),
        hint: "each entry needs `question` and `answer` fields".into(),
    })?;
    match (field(obj, QUESTION), field(obj, ANSWER)) {
        (Some(q), Some(a)) => Ok((q.to_owned(), a.to_owned(), line)),
        _ => Err(Error::BadKnowledge {
            file: source.to_owned(),
            line,
            reason: format!(
                "FAQ entry {i} lacks a question or an answer (fields: {})",
                obj.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            hint: "name the fields `question` and `answer`".into(),
        }),
    }
}

fn json_pairs(source: &str, text: &str) -> Result<Pairs> {
    let v: Value = serde_json::from_str(text).map_err(|e| Error::BadKnowledge {
        file: source.to_owned(),
        line: e.line(),
        reason: format!("not valid JSON (column {}): {e}", e.column()),
        hint: "fix the JSON, or give the FAQ as CSV or JSON lines".into(),
    })?;
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(o) => o
            .values()
            .find_map(|v| v.as_array().filter(|a| a.iter().all(Value::is_object)))
            .ok_or_else(|| Error::BadKnowledge {
                file: source.to_owned(),
                line: 1,
                reason: "no list of question/answer objects in the JSON object".into(),
                hint: "give `{\"questions\": [{\"question\": ..., \"answer\": ...}]}` or a list"
                    .into(),
            })?,
        _ => {
            return Err(Error::BadKnowledge {
                file: source.to_owned(),
                line: 1,
                reason: "the JSON is neither a list nor an object".into(),
                hint: "give a list of {\"question\", \"answer\"} objects".into(),
            });
        }
    };
    list.iter()
        .enumerate()
        .map(|(i, v)| pair_of(source, v, i, 0))
        .collect()
}

fn jsonl_pairs(source: &str, text: &str) -> Result<Pairs> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| Error::BadKnowledge {
            file: source.to_owned(),
            line: n + 1,
            reason: format!("not valid JSON (column {}): {e}", e.column()),
            hint: "each line must be one JSON object".into(),
        })?;
        out.push(pair_of(source, &v, out.len(), n + 1)?);
    }
    Ok(out)
}

fn csv_pairs(source: &str, text: &str) -> Result<Pairs> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = r.headers().map_err(|e| Error::BadKnowledge {
        file: source.to_owned(),
        line: 1,
        reason: format!("cannot read the header row: {e}"),
        hint: "the first row must name the columns, e.g. `question,answer`".into(),
    })?;
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (Some(qi), Some(ai)) = (find(QUESTION), find(ANSWER)) else {
        return Err(Error::BadKnowledge {
            file: source.to_owned(),
            line: 1,
            reason: format!(
                "no `question` and `answer` columns (the header has: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
            hint: "name the columns `question` and `answer`".into(),
        });
    };
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| Error::BadKnowledge {
            file: source.to_owned(),
            line: e.position().map_or(0, |p| p.line() as usize),
            reason: e.to_string(),
            hint: "check the quoting of that row".into(),
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        out.push((
            rec.get(qi).unwrap_or_default().to_owned(),
            rec.get(ai).unwrap_or_default().to_owned(),
            line,
        ));
    }
    Ok(out)
}

/// One Markdown section: its heading, the headings above it, its body and first line.
#[derive(Debug)]
struct Section {
    heading: String,
    path: Vec<String>,
    body: String,
    line: usize,
}

fn markdown_sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut current = Section {
        heading: String::new(),
        path: Vec::new(),
        body: String::new(),
        line: 1,
    };
    let mut fence = false;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
        }
        let level = t.chars().take_while(|&c| c == '#').count();
        let is_heading = !fence && (1..=6).contains(&level) && t[level..].starts_with([' ', '\t']);
        if is_heading {
            let heading = t[level..].trim().trim_end_matches('#').trim().to_owned();
            if !current.body.trim().is_empty() {
                sections.push(current);
            }
            while stack.last().is_some_and(|(l, _)| *l >= level) {
                stack.pop();
            }
            let path: Vec<String> = stack.iter().map(|(_, h)| h.clone()).collect();
            stack.push((level, heading.clone()));
            current = Section {
                heading,
                path,
                body: String::new(),
                line: n + 1,
            };
        } else {
            current.body.push_str(line);
            current.body.push('\n');
        }
    }
    if !current.body.trim().is_empty() {
        sections.push(current);
    }
    for s in &mut sections {
        s.body = s.body.trim().to_owned();
    }
    sections
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "section".into()
    } else {
        out
    }
}

fn policy_passages(source: &str, sections: &[Section]) -> Vec<Passage> {
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for s in sections {
        let mut title_parts = s.path.clone();
        if !s.heading.is_empty() {
            title_parts.push(s.heading.clone());
        }
        let title = title_parts.join(" > ");
        for (k, chunk) in chunks(&s.body).into_iter().enumerate() {
            let base = if k == 0 {
                slug(&title)
            } else {
                format!("{}-{}", slug(&title), k + 1)
            };
            let n = used.entry(base.clone()).or_insert(0);
            *n += 1;
            let id = if *n == 1 {
                format!("{source}#{base}")
            } else {
                format!("{source}#{base}-{n}")
            };
            let mut meta = BTreeMap::new();
            meta.insert("lang".to_owned(), Lang::detect(&chunk).tag().to_owned());
            meta.insert("line".to_owned(), s.line.to_string());
            out.push(Passage {
                id,
                source: source.to_owned(),
                kind: KnowledgeKind::Policy.name().to_owned(),
                title: title.clone(),
                text: chunk,
                meta,
            });
        }
    }
    out
}

/// Splits a section body at paragraph boundaries into pieces of at most [`MAX_CHUNK_CHARS`]
/// characters (a single longer paragraph stays whole).
fn chunks(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for para in body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        if !cur.is_empty() && cur.chars().count() + para.chars().count() + 2 > MAX_CHUNK_CHARS {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push_str("\n\n");
        }
        cur.push_str(para);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_faq_in_an_object_or_a_list() {
        let a =
            br#"{"questions":[{"question":"Q1?","answer":"A1"},{"Question":"Q2?","Answer":"A2"}]}"#;
        let p = parse_knowledge("faq.json", a, None).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].id, "faq.json#1");
        assert_eq!(p[1].title, "Q2?");
        let b = br#"[{"q":"Q?","a":"A"}]"#;
        assert_eq!(parse_knowledge("x.json", b, None).unwrap()[0].text, "A");
    }

    #[test]
    fn json_errors_name_the_line() {
        let e = parse_knowledge("faq.json", b"{\n\"questions\": [\n{,}]}", None).unwrap_err();
        assert!(e.to_string().starts_with("faq.json:3:"), "{e}");
        let e = parse_knowledge(
            "f.jsonl",
            b"{\"question\":\"a\",\"answer\":\"b\"}\n{\"question\":\"c\"}\n",
            None,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("f.jsonl:2:"), "{e}");
    }

    #[test]
    fn csv_with_quotes_and_newlines() {
        let csv = "Question,Answer\n\"Ship abroad?\",\"Yes, to 30 countries.\nSee the list.\"\nReturns?,30 days\n";
        let p = parse_knowledge("faq.csv", csv.as_bytes(), None).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].text, "Yes, to 30 countries.\nSee the list.");
        let e = parse_knowledge("faq.csv", b"q_text,a_text\nx,y\n", None).unwrap_err();
        assert!(e.to_string().contains("q_text, a_text"), "{e}");
    }

    #[test]
    fn markdown_policy_is_chunked_by_heading_with_its_path() {
        let md = "# Policies\n\nIntro text.\n\n## Returns\n\nReturn within 30 days.\n\n### Damaged items\n\nSend a photo.\n\n```\n# not a heading\n```\n\n## Shipping\n\nShips in 2 days.\n";
        let p = parse_knowledge("policies.md", md.as_bytes(), None).unwrap();
        let titles: Vec<&str> = p.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Policies",
                "Policies > Returns",
                "Policies > Returns > Damaged items",
                "Policies > Shipping"
            ]
        );
        assert!(p[2].text.contains("# not a heading"));
        assert_eq!(p[1].id, "policies.md#policies-returns");
        assert!(p.iter().all(|p| p.kind == "policy"));
    }

    #[test]
    fn markdown_with_question_headings_is_an_faq() {
        let md = "## How do I pay?\n\nBy card.\n\n## 可以开发票吗？\n\n可以。\n";
        let p = parse_knowledge("faq.md", md.as_bytes(), None).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].kind, "faq");
        assert_eq!(p[1].meta["lang"], "zh");
    }

    #[test]
    fn long_sections_split_at_paragraphs() {
        let body = (0..30)
            .map(|i| format!("Paragraph {i}{}", " word".repeat(20)))
            .collect::<Vec<_>>()
            .join("\n\n");
        let parts = chunks(&body);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|c| c.chars().count() <= MAX_CHUNK_CHARS));
        assert_eq!(parts.join("\n\n"), body);
    }

    #[test]
    fn unknown_types_and_bad_bytes_are_user_errors() {
        assert!(
            parse_knowledge("x.pdf", b"%PDF", None)
                .unwrap_err()
                .is_user_error()
        );
        let e = parse_knowledge("x.csv", b"question,answer\n\xff,a\n", None).unwrap_err();
        assert!(e.to_string().contains("x.csv:2"), "{e}");
    }
}
