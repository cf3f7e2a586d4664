//! Constrained decoding to a JSON schema.
//!
//! The schema is compiled into a byte-level automaton that writes one canonical layout
//! (`{"a": 1, "b": "x"}`): object keys in a fixed order (first the `required` list in its order,
//! then the other properties alphabetically), every property present. At each step only tokens
//! whose bytes keep the output on a path to a complete document may be sampled, and when the
//! token budget runs short the automaton closes open strings and arrays, so the result always
//! parses and matches the schema.
//!
//! Supported: `type` object/array/string/integer/number/boolean/null, `properties`, `required`,
//! `items`, `minItems`, `maxItems`, `minLength`, `maxLength`, `enum`, `const`, and `pattern` in
//! the one form a decoder can enforce character by character, a negated class
//! `^[^...]*$` (characters a string must not contain, e.g. `^[^0-9$%]*$`); annotations
//! (`title`, `description`, `$schema`, `$id`, `default`, `examples`, `additionalProperties:
//! false`) are accepted and ignored. Anything else is refused with the keyword named.

use std::rc::Rc;

use serde_json::Value;

use crate::error::{Error, Result};

const IGNORED: &[&str] = &[
    "title",
    "description",
    "$schema",
    "$id",
    "default",
    "examples",
    "additionalProperties",
    "type",
    "$comment",
];

/// A compiled JSON schema.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSchema {
    root: Rc<Node>,
    raw: Value,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Object(Vec<(Rc<[u8]>, Rc<Node>)>),
    Array {
        item: Rc<Node>,
        min: usize,
        max: usize,
    },
    Str {
        min: usize,
        max: usize,
        forbid: Option<Forbidden>,
    },
    Integer,
    Number,
    Literal(Vec<Rc<[u8]>>),
}

impl JsonSchema {
    /// Compiles a schema given as JSON text.
    pub fn parse(text: &str) -> Result<JsonSchema> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| Error::Schema(format!("not JSON: {e}")))?;
        JsonSchema::from_value(&v)
    }

    /// Compiles a schema.
    pub fn from_value(v: &Value) -> Result<JsonSchema> {
        Ok(JsonSchema {
            root: Rc::new(compile(v, "$")?),
            raw: v.clone(),
        })
    }

    /// The schema as given.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// A fresh matcher at the start of the document.
    pub(crate) fn matcher(&self) -> Matcher {
        Matcher {
            stack: vec![Task::Value(self.root.clone())],
            closing: false,
        }
    }

    /// Whether `doc` is a document this schema's decoder could have written (structure, types,
    /// lengths, enums; the layout may differ).
    pub fn validate(&self, doc: &Value) -> std::result::Result<(), String> {
        check(&self.root, doc, "$")
    }
}

fn compile(v: &Value, at: &str) -> Result<Node> {
    let obj = v
        .as_object()
        .ok_or_else(|| Error::Schema(format!("{at}: a schema must be an object")))?;
    for key in obj.keys() {
        let known = IGNORED.contains(&key.as_str())
            || matches!(
                key.as_str(),
                "properties"
                    | "required"
                    | "items"
                    | "minItems"
                    | "maxItems"
                    | "minLength"
                    | "maxLength"
                    | "enum"
                    | "const"
                    | "pattern"
            );
        if !known {
            return Err(Error::Schema(format!(
                "{at}: keyword `{key}` is not supported"
            )));
        }
    }
    let usize_of = |k: &str, default: usize| -> Result<usize> {
        match obj.get(k) {
            None => Ok(default),
            Some(n) => n
                .as_u64()
                .map(|n| n as usize)
                .ok_or_else(|| Error::Schema(format!("{at}.{k}: expected a whole number"))),
        }
    };
    let literal = |x: &Value| -> Rc<[u8]> {
        Rc::from(serde_json::to_string(x).unwrap_or_default().into_bytes())
    };
    if let Some(c) = obj.get("const") {
        return Ok(Node::Literal(vec![literal(c)]));
    }
    if let Some(e) = obj.get("enum") {
        let options = e
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| Error::Schema(format!("{at}.enum: expected a non-empty array")))?;
        return Ok(Node::Literal(options.iter().map(literal).collect()));
    }
    let ty = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Schema(format!("{at}: `type` (a single type name) is required")))?;
    Ok(match ty {
        "object" => {
            let props = obj
                .get("properties")
                .and_then(Value::as_object)
                .ok_or_else(|| Error::Schema(format!("{at}: an object needs `properties`")))?;
            let mut order: Vec<String> = Vec::new();
            if let Some(req) = obj.get("required") {
                for r in req
                    .as_array()
                    .ok_or_else(|| Error::Schema(format!("{at}.required: expected an array")))?
                {
                    let r = r
                        .as_str()
                        .ok_or_else(|| Error::Schema(format!("{at}.required: expected names")))?;
                    if !props.contains_key(r) {
                        return Err(Error::Schema(format!(
                            "{at}.required: `{r}` is not among the properties"
                        )));
                    }
                    if !order.iter().any(|o| o == r) {
                        order.push(r.to_owned());
                    }
                }
            }
            for k in props.keys() {
                if !order.contains(k) {
                    order.push(k.clone());
                }
            }
            let mut fields = Vec::new();
            for k in order {
                let node = compile(&props[&k], &format!("{at}.{k}"))?;
                let key = serde_json::to_string(&k).unwrap_or_default();
                fields.push((Rc::from(key.into_bytes()), Rc::new(node)));
            }
            Node::Object(fields)
        }
        "array" => {
            let item = obj
                .get("items")
                .ok_or_else(|| Error::Schema(format!("{at}: an array needs `items`")))?;
            let (min, max) = (usize_of("minItems", 0)?, usize_of("maxItems", usize::MAX)?);
            if min > max {
                return Err(Error::Schema(format!("{at}: minItems > maxItems")));
            }
            Node::Array {
                item: Rc::new(compile(item, &format!("{at}[]"))?),
                min,
                max,
            }
        }
        "string" => {
            let (min, max) = (
                usize_of("minLength", 0)?,
                usize_of("maxLength", usize::MAX)?,
            );
            if min > max {
                return Err(Error::Schema(format!("{at}: minLength > maxLength")));
            }
            let forbid = match obj.get("pattern") {
                None => None,
                Some(p) => Some(parse_pattern(p.as_str().unwrap_or_default()).ok_or_else(
                    || {
                        Error::Schema(format!(
                            "{at}.pattern: only a negated character class `^[^...]*$` is supported"
                        ))
                    },
                )?),
            };
            Node::Str { min, max, forbid }
        }
        "integer" => Node::Integer,
        "number" => Node::Number,
        "boolean" => Node::Literal(vec![Rc::from(&b"true"[..]), Rc::from(&b"false"[..])]),
        "null" => Node::Literal(vec![Rc::from(&b"null"[..])]),
        other => {
            return Err(Error::Schema(format!(
                "{at}: type `{other}` is not supported"
            )));
        }
    })
}

fn check(node: &Node, v: &Value, at: &str) -> std::result::Result<(), String> {
    match node {
        Node::Object(fields) => {
            let o = v.as_object().ok_or(format!("{at}: expected an object"))?;
            if o.len() != fields.len() {
                return Err(format!(
                    "{at}: expected {} properties, got {}",
                    fields.len(),
                    o.len()
                ));
            }
            for (k, n) in fields {
                let key: String = serde_json::from_slice(k).map_err(|e| e.to_string())?;
                let x = o.get(&key).ok_or(format!("{at}: `{key}` missing"))?;
                check(n, x, &format!("{at}.{key}"))?;
            }
            Ok(())
        }
        Node::Array { item, min, max } => {
            let a = v.as_array().ok_or(format!("{at}: expected an array"))?;
            if a.len() < *min || a.len() > *max {
                return Err(format!("{at}: {} items outside [{min}, {max}]", a.len()));
            }
            a.iter()
                .enumerate()
                .try_for_each(|(i, x)| check(item, x, &format!("{at}[{i}]")))
        }
        Node::Str { min, max, forbid } => {
            let s = v.as_str().ok_or(format!("{at}: expected a string"))?;
            let n = s.chars().count();
            if n < *min || n > *max {
                return Err(format!("{at}: length {n} outside [{min}, {max}]"));
            }
            if let Some(c) = forbid
                .as_ref()
                .and_then(|f| s.chars().find(|c| f.contains(*c)))
            {
                return Err(format!("{at}: the character {c:?} is not allowed"));
            }
            Ok(())
        }
        Node::Integer => v
            .as_i64()
            .map(|_| ())
            .ok_or(format!("{at}: expected an integer")),
        Node::Number => v
            .as_f64()
            .map(|_| ())
            .ok_or(format!("{at}: expected a number")),
        Node::Literal(options) => {
            let text = serde_json::to_string(v).map_err(|e| e.to_string())?;
            options
                .iter()
                .any(|o| **o == *text.as_bytes())
                .then_some(())
                .ok_or(format!("{at}: {text} is not allowed"))
        }
    }
}

/// Characters a string may not contain (ranges, inclusive).
pub(crate) type Forbidden = Rc<[(char, char)]>;

trait Contains {
    fn contains(&self, c: char) -> bool;
}

impl Contains for Forbidden {
    fn contains(&self, c: char) -> bool {
        self.iter().any(|&(a, b)| a <= c && c <= b)
    }
}

/// The class of `^[^...]*$`: literal characters, ranges `a-z`, escapes `\d`, `\n`, `\t`,
/// `\uXXXX` and `\` before any other character. None for any other pattern.
fn parse_pattern(p: &str) -> Option<Forbidden> {
    let body = p.strip_prefix("^[^")?.strip_suffix("]*$")?;
    let chars: Vec<char> = body.chars().collect();
    let mut items: Vec<(char, char)> = Vec::new();
    let mut i = 0;
    // One class member at `i`: Ok(char) or Err(range) for `\d`; advances `i`.
    let one = |i: &mut usize| -> Option<std::result::Result<char, (char, char)>> {
        let c = *chars.get(*i)?;
        *i += 1;
        if c == ']' {
            return None;
        }
        if c != '\\' {
            return Some(Ok(c));
        }
        let e = *chars.get(*i)?;
        *i += 1;
        Some(match e {
            'd' => Err(('0', '9')),
            'n' => Ok('\n'),
            't' => Ok('\t'),
            'r' => Ok('\r'),
            'u' => {
                let hex: String = chars.get(*i..*i + 4)?.iter().collect();
                *i += 4;
                Ok(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?)
            }
            c if c.is_ascii_alphanumeric() => return None,
            c => Ok(c),
        })
    };
    while i < chars.len() {
        match one(&mut i)? {
            Err(range) => items.push(range),
            Ok(a) => {
                if chars.get(i) == Some(&'-') && i + 1 < chars.len() {
                    i += 1;
                    let Ok(b) = one(&mut i)? else { return None };
                    if b < a {
                        return None;
                    }
                    items.push((a, b));
                } else {
                    items.push((a, a));
                }
            }
        }
    }
    (!items.is_empty()).then(|| Rc::from(items))
}

/// Where a number is in its grammar.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NumPhase {
    Start,
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

#[derive(Debug, Clone)]
enum Task {
    Value(Rc<Node>),
    Lit(Rc<[u8]>, usize),
    Choice(Rc<Node>, usize),
    Str {
        chars: usize,
        min: usize,
        max: usize,
        escape: u8,
        utf8_left: u8,
        /// The code point read so far of a character that spans several bytes.
        cp: u32,
        forbid: Option<Forbidden>,
    },
    Num {
        integer: bool,
        phase: NumPhase,
    },
    Items {
        item: Rc<Node>,
        count: usize,
        min: usize,
        max: usize,
    },
}

/// A string's decoding state, unpacked from its task.
struct StrState {
    chars: usize,
    min: usize,
    max: usize,
    escape: u8,
    utf8_left: u8,
    cp: u32,
    forbid: Option<Forbidden>,
}

/// The decoding state: what may come next.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    stack: Vec<Task>,
    closing: bool,
}

impl Matcher {
    /// Whether the document is complete.
    pub(crate) fn done(&self) -> bool {
        self.stack.is_empty()
    }

    /// From now on, take the shortest way to a complete document.
    pub(crate) fn close(&mut self) {
        self.closing = true;
    }

    /// A lower bound on the bytes still needed to finish the document.
    pub(crate) fn min_remaining(&self) -> usize {
        self.stack.iter().map(task_min).sum()
    }

    /// Whether all of `bytes` may come next.
    pub(crate) fn accepts(&self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return false;
        }
        let mut m = self.clone();
        bytes.iter().all(|&b| m.feed(b))
    }

    /// Advances over `bytes`; false (and an unspecified state) when they are not allowed.
    pub(crate) fn advance(&mut self, bytes: &[u8]) -> bool {
        bytes.iter().all(|&b| self.feed(b))
    }

    fn feed(&mut self, b: u8) -> bool {
        loop {
            let Some(top) = self.stack.pop() else {
                return false;
            };
            match top {
                Task::Value(node) => self.expand(&node),
                Task::Lit(bytes, at) => {
                    if bytes[at] != b {
                        return false;
                    }
                    if at + 1 < bytes.len() {
                        self.stack.push(Task::Lit(bytes, at + 1));
                    }
                    return true;
                }
                Task::Choice(node, at) => {
                    // `node` holds the options that match every byte so far.
                    let next = narrow(&node, at, b);
                    let Node::Literal(alive) = &*next else {
                        return false;
                    };
                    if alive.is_empty() {
                        return false;
                    }
                    // Literals are JSON texts; strings are prefix-free, so "complete" is exact
                    // for them (for numbers such as 3 and 30, the shorter one wins).
                    if !alive.iter().any(|o| o.len() == at + 1) {
                        self.stack.push(Task::Choice(next, at + 1));
                    }
                    return true;
                }
                Task::Str {
                    chars,
                    min,
                    max,
                    escape,
                    utf8_left,
                    cp,
                    forbid,
                } => {
                    let s = StrState {
                        chars,
                        min,
                        max,
                        escape,
                        utf8_left,
                        cp,
                        forbid,
                    };
                    return self.feed_str(b, s);
                }
                Task::Num { integer, phase } => {
                    if let Some(next) = num_step(phase, b, integer, self.closing) {
                        self.stack.push(Task::Num {
                            integer,
                            phase: next,
                        });
                        return true;
                    }
                    if !num_complete(phase) {
                        return false;
                    }
                    // The number ended; the byte belongs to what follows.
                }
                Task::Items {
                    item,
                    count,
                    min,
                    max,
                } => {
                    if b == b']' && count >= min {
                        return true;
                    }
                    if count >= max || (self.closing && count >= min) {
                        return false;
                    }
                    self.stack.push(Task::Items {
                        item: item.clone(),
                        count: count + 1,
                        min,
                        max,
                    });
                    self.stack.push(Task::Value(item));
                    if count > 0 {
                        self.stack.push(Task::Lit(Rc::from(&b", "[..]), 0));
                    }
                }
            }
        }
    }

    fn feed_str(&mut self, b: u8, s: StrState) -> bool {
        let StrState {
            chars,
            min,
            max,
            escape,
            utf8_left,
            cp,
            forbid,
        } = s;
        let banned = |c: char| forbid.as_ref().is_some_and(|f| f.contains(c));
        let push = |m: &mut Matcher, chars, escape, utf8_left, cp| {
            m.stack.push(Task::Str {
                chars,
                min,
                max,
                escape,
                utf8_left,
                cp,
                forbid: forbid.clone(),
            });
            true
        };
        if escape > 0 {
            // escape: 1 = after '\', 2..=5 = hex digits of \uXXXX still to come (6 - escape).
            if escape == 1 {
                let decoded = match b {
                    b'"' | b'\\' | b'/' => b as char,
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    // Any character could hide behind \uXXXX: not with a forbidden class.
                    b'u' => return forbid.is_none() && push(self, chars, 2, 0, 0),
                    _ => return false,
                };
                return !banned(decoded) && push(self, chars, 0, 0, 0);
            }
            if !b.is_ascii_hexdigit() {
                return false;
            }
            return push(self, chars, if escape == 5 { 0 } else { escape + 1 }, 0, 0);
        }
        if utf8_left > 0 {
            if !(0x80..0xC0).contains(&b) {
                return false;
            }
            let cp = (cp << 6) | u32::from(b & 0x3F);
            if utf8_left == 1 && char::from_u32(cp).is_none_or(banned) {
                return false;
            }
            return push(self, chars, 0, utf8_left - 1, cp);
        }
        if b == b'"' {
            return chars >= min;
        }
        if chars >= max || (self.closing && chars >= min) || b < 0x20 {
            return false;
        }
        match b {
            b'\\' => push(self, chars + 1, 1, 0, 0),
            0x00..=0x7F => !banned(b as char) && push(self, chars + 1, 0, 0, 0),
            0xC2..=0xDF => push(self, chars + 1, 0, 1, u32::from(b & 0x1F)),
            0xE0..=0xEF => push(self, chars + 1, 0, 2, u32::from(b & 0x0F)),
            0xF0..=0xF4 => push(self, chars + 1, 0, 3, u32::from(b & 0x07)),
            _ => false,
        }
    }

    fn expand(&mut self, node: &Rc<Node>) {
        match &**node {
            Node::Object(fields) => {
                self.stack.push(Task::Lit(Rc::from(&b"}"[..]), 0));
                for (i, (key, value)) in fields.iter().enumerate().rev() {
                    self.stack.push(Task::Value(value.clone()));
                    let mut lit = Vec::with_capacity(key.len() + 4);
                    lit.extend_from_slice(if i == 0 { b"{" } else { b", " });
                    lit.extend_from_slice(key);
                    lit.extend_from_slice(b": ");
                    self.stack.push(Task::Lit(Rc::from(lit), 0));
                }
                if fields.is_empty() {
                    self.stack.push(Task::Lit(Rc::from(&b"{"[..]), 0));
                }
            }
            Node::Array { item, min, max } => {
                self.stack.push(Task::Items {
                    item: item.clone(),
                    count: 0,
                    min: *min,
                    max: *max,
                });
                self.stack.push(Task::Lit(Rc::from(&b"["[..]), 0));
            }
            Node::Str { min, max, forbid } => {
                self.stack.push(Task::Str {
                    chars: 0,
                    min: *min,
                    max: *max,
                    escape: 0,
                    utf8_left: 0,
                    cp: 0,
                    forbid: forbid.clone(),
                });
                self.stack.push(Task::Lit(Rc::from(&b"\""[..]), 0));
            }
            Node::Integer => self.stack.push(Task::Num {
                integer: true,
                phase: NumPhase::Start,
            }),
            Node::Number => self.stack.push(Task::Num {
                integer: false,
                phase: NumPhase::Start,
            }),
            Node::Literal(_) => self.stack.push(Task::Choice(node.clone(), 0)),
        }
    }
}

/// The options of a literal choice that have byte `b` at position `at`.
fn narrow(node: &Rc<Node>, at: usize, b: u8) -> Rc<Node> {
    let Node::Literal(options) = &**node else {
        return node.clone();
    };
    Rc::new(Node::Literal(
        options
            .iter()
            .filter(|o| o.len() > at && o[at] == b)
            .cloned()
            .collect(),
    ))
}

fn num_step(phase: NumPhase, b: u8, integer: bool, closing: bool) -> Option<NumPhase> {
    use NumPhase::*;
    let digit = b.is_ascii_digit();
    // While closing, a number that is already complete takes no more bytes.
    if closing && num_complete(phase) {
        return None;
    }
    match (phase, b) {
        (Start, b'-') => Some(Minus),
        (Start | Minus, b'0') => Some(Zero),
        (Start | Minus, _) if digit => Some(Int),
        (Int, _) if digit => Some(Int),
        (Zero | Int, b'.') if !integer => Some(Dot),
        (Zero | Int | Frac, b'e' | b'E') if !integer => Some(Exp),
        (Dot | Frac, _) if digit => Some(Frac),
        (Exp, b'+' | b'-') => Some(ExpSign),
        (Exp | ExpSign | ExpDigits, _) if digit => Some(ExpDigits),
        _ => None,
    }
}

fn num_complete(phase: NumPhase) -> bool {
    matches!(
        phase,
        NumPhase::Zero | NumPhase::Int | NumPhase::Frac | NumPhase::ExpDigits
    )
}

fn node_min(node: &Node) -> usize {
    match node {
        Node::Object(fields) => {
            2 + fields
                .iter()
                .map(|(k, v)| k.len() + 2 + node_min(v))
                .sum::<usize>()
                + 2 * fields.len().saturating_sub(1)
        }
        Node::Array { item, min, .. } => 2 + min * (node_min(item) + 2),
        Node::Str { min, .. } => 2 + min,
        Node::Integer | Node::Number => 1,
        Node::Literal(options) => options.iter().map(|o| o.len()).min().unwrap_or(0),
    }
}

fn task_min(t: &Task) -> usize {
    match t {
        Task::Value(n) => node_min(n),
        Task::Lit(bytes, at) => bytes.len() - at,
        Task::Choice(n, at) => node_min(n).saturating_sub(*at),
        Task::Str {
            chars,
            min,
            utf8_left,
            escape,
            ..
        } => 1 + min.saturating_sub(*chars) + usize::from(*utf8_left) + usize::from(*escape),
        Task::Num { phase, .. } => usize::from(!num_complete(*phase)),
        Task::Items {
            item, count, min, ..
        } => 1 + min.saturating_sub(*count) * (node_min(item) + 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> JsonSchema {
        JsonSchema::parse(
            r#"{"type":"object","required":["subject","body"],"properties":{
                "body":{"type":"string","maxLength":20},
                "subject":{"type":"string","minLength":1},
                "tone":{"enum":["warm","brief"]},
                "n":{"type":"integer"},
                "tags":{"type":"array","items":{"type":"boolean"},"maxItems":2}}}"#,
        )
        .unwrap()
    }

    fn run(m: &mut Matcher, s: &str) -> bool {
        m.advance(s.as_bytes())
    }

    #[test]
    fn accepts_the_canonical_layout_only() {
        let s = schema();
        let doc = r#"{"subject": "Hi \"you\" é", "body": "ok", "n": -12, "tags": [true, false], "tone": "warm"}"#;
        let mut m = s.matcher();
        assert!(run(&mut m, doc), "canonical document accepted");
        assert!(m.done());
        let parsed: Value = serde_json::from_str(doc).unwrap();
        s.validate(&parsed).unwrap();
        for bad in [
            r#"{"body""#,                                                        // wrong key order
            r#"{"subject": """#,                                                 // minLength 1
            r#"{"subject":"x""#,                                                 // layout
            r#"{"subject": "a", "body": "123456789012345678901""#,               // maxLength
            r#"{"subject": "a", "body": "", "n": 01"#,                           // leading zero
            r#"{"subject": "a", "body": "", "n": 1.5"#,                          // integer
            r#"{"subject": "a", "body": "", "n": 1, "tags": [true, true, true"#, // maxItems
            "{\"subject\": \"a\x01", // control character
        ] {
            let mut m = s.matcher();
            assert!(!run(&mut m, bad), "{bad} must be refused");
        }
    }

    #[test]
    fn enum_choice_narrows_and_completes() {
        let s = JsonSchema::parse(r#"{"enum":["warm","wary",3]}"#).unwrap();
        let m = s.matcher();
        assert!(m.accepts(b"\"wa"));
        assert!(m.accepts(b"3"));
        assert!(!m.accepts(b"\"x"));
        let mut m2 = m.clone();
        assert!(m2.advance(b"\"war"));
        assert!(m2.accepts(b"y\""), "wary is an option too");
        assert!(!m2.accepts(b"x\""));
        assert!(m2.advance(b"m\""));
        assert!(m2.done());
    }

    #[test]
    fn closing_mode_finishes_strings_and_arrays() {
        let s = schema();
        let mut m = s.matcher();
        assert!(run(&mut m, r#"{"subject": "abc"#));
        m.close();
        assert!(!m.accepts(b"d"), "no new characters while closing");
        assert!(m.accepts(b"\""));
        assert!(m.min_remaining() > 0);
    }

    #[test]
    fn unsupported_keywords_are_named() {
        let err = JsonSchema::parse(r#"{"type":"string","pattern":"a+"}"#).unwrap_err();
        assert!(err.to_string().contains("pattern"), "{err}");
        let err = JsonSchema::parse(r#"{"type":"string","format":"email"}"#).unwrap_err();
        assert!(err.to_string().contains("`format`"), "{err}");
    }

    #[test]
    fn a_negated_class_keeps_characters_out_of_strings() {
        let s = JsonSchema::parse(
            r#"{"type":"string","pattern":"^[^\\d$%\\u00a5\\uff10-\\uff19\\\\]*$"}"#,
        )
        .unwrap();
        let m = s.matcher();
        assert!(m.accepts("\"Save on tea, 好".as_bytes()));
        for bad in [
            "\"Save 20",
            "\"$",
            "\"%",
            "\"¥",
            "\"１",
            "\"a\\u0031",
            "\"\\\\",
        ] {
            assert!(!m.accepts(bad.as_bytes()), "{bad} must be refused");
        }
        assert!(m.accepts(b"\"a\\n"), "a newline escape is fine");
        assert!(s.validate(&serde_json::json!("no digits here")).is_ok());
        assert!(s.validate(&serde_json::json!("price 5")).is_err());
        assert!(JsonSchema::parse(r#"{"type":"string","pattern":"^[^\\w]*$"}"#).is_err());
        assert!(JsonSchema::parse(r#"{"type":"string","pattern":"^[^a-]*$"}"#).is_ok());
    }

    #[test]
    fn utf8_inside_strings_must_be_well_formed() {
        let s = JsonSchema::parse(r#"{"type":"string"}"#).unwrap();
        let m = s.matcher();
        assert!(m.accepts("\"好".as_bytes()));
        assert!(
            !m.accepts(&[b'"', 0xE5, b'"']),
            "a quote cannot cut a character"
        );
        assert!(!m.accepts(&[b'"', 0xFF]));
    }
}
