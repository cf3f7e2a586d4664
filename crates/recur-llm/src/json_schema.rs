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
//!
//! Two extensions on a string, enforced while decoding: `x-forbidden-words`, a list of words
//! and short phrases the string must not contain (see [`Words`] for how they are matched), and
//! `x-max-capitals`, the most capital letters a word written all in capitals may have (no
//! code-shaped word such as "WELCOME"). Servers that do not know them ignore them, as JSON
//! Schema asks of unknown keywords.

use std::cell::RefCell;
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
    Str(Rc<StrSpec>),
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
            scratch: RefCell::new(Vec::new()),
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
                    | "x-forbidden-words"
                    | "x-max-capitals"
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
            let words = match obj.get("x-forbidden-words") {
                None => None,
                Some(w) => {
                    let list = w.as_array().ok_or_else(|| {
                        Error::Schema(format!("{at}.x-forbidden-words: expected an array"))
                    })?;
                    let entries = list
                        .iter()
                        .map(|e| {
                            e.as_str().ok_or_else(|| {
                                Error::Schema(format!("{at}.x-forbidden-words: expected strings"))
                            })
                        })
                        .collect::<Result<Vec<&str>>>()?;
                    Some(
                        Words::new(&entries)
                            .map_err(|e| Error::Schema(format!("{at}.x-forbidden-words: {e}")))?,
                    )
                }
            };
            let capitals = match obj.get("x-max-capitals") {
                None => None,
                // 255 marks a word with a lower-case letter while decoding: 254 at most.
                Some(n) => Some(
                    n.as_u64()
                        .and_then(|n| u8::try_from(n).ok())
                        .filter(|n| *n < u8::MAX)
                        .ok_or_else(|| {
                            Error::Schema(format!("{at}.x-max-capitals: expected 0 to 254"))
                        })?,
                ),
            };
            Node::Str(Rc::new(StrSpec {
                min,
                max,
                forbid,
                words,
                capitals,
            }))
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
        Node::Str(spec) => {
            let s = v.as_str().ok_or(format!("{at}: expected a string"))?;
            let n = s.chars().count();
            let (min, max) = (spec.min, spec.max);
            if n < min || n > max {
                return Err(format!("{at}: length {n} outside [{min}, {max}]"));
            }
            if let Some(c) = spec
                .forbid
                .as_ref()
                .and_then(|f| s.chars().find(|c| f.contains(*c)))
            {
                return Err(format!("{at}: the character {c:?} is not allowed"));
            }
            if spec.words.as_ref().is_some_and(|w| w.found_in(s)) {
                return Err(format!("{at}: a forbidden word"));
            }
            if spec.capitals.is_some() {
                let mut state = StrState::new(spec);
                if !s.chars().all(|c| state.read(c)) {
                    return Err(format!("{at}: a word in capitals"));
                }
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

/// What a string schema allows.
#[derive(Debug, PartialEq)]
struct StrSpec {
    min: usize,
    max: usize,
    forbid: Option<Forbidden>,
    words: Option<Words>,
    /// `x-max-capitals`: the most capital letters (A-Z) a word written all in capitals may
    /// have (a word being letters, digits, `-` and `_`), so that no code-shaped word
    /// ("WELCOME") can be written.
    capitals: Option<u8>,
}

/// The words and phrases of `x-forbidden-words`, compiled into one Aho-Corasick automaton over
/// a string's normalised characters: lower case, every run of characters other than letters,
/// digits and `'` read as one space, and the string's start and end read as spaces. An entry
/// (lower case, a word or a phrase, its words separated by spaces) matches whole words: `code`
/// forbids "Code" and "code," but not "codes" or "decode". A `*` at its end also forbids the
/// words that begin with it (`discount*`: "discounted", and "discountenance" too), a `*` at its
/// start those that end with it; both (`*折扣*`) forbid it anywhere, as scripts written without
/// spaces need. The decoder refuses the byte that completes a forbidden entry: for a whole
/// word, the non-letter after it or the string's closing quote, so "I" may still go on to
/// "It", but not to "I " or end the string. An apostrophe (`'`) counts as a letter only
/// inside a word ("i'm" is one word): before a word it is a space, and right after a forbidden
/// whole word it is refused ("deal'" and "code's" as well, which is stricter than needed).
#[derive(Debug, PartialEq)]
pub(crate) struct Words {
    /// Per state, the trie's edges sorted by character.
    edges: Vec<Vec<(char, u32)>>,
    /// Per state, the longest proper suffix that is also a state.
    fail: Vec<u32>,
    /// Per state, whether an entry ends there (itself or through its failure links).
    hit: Vec<bool>,
    /// The state after the string's start (a space).
    start: u32,
}

/// Whether `c` is part of a word when forbidden words are matched.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\''
}

impl Words {
    fn new(entries: &[&str]) -> std::result::Result<Words, String> {
        let mut w = Words {
            edges: vec![Vec::new()],
            fail: vec![0],
            hit: vec![false],
            start: 0,
        };
        for entry in entries {
            let (head, rest) = match entry.strip_prefix('*') {
                Some(r) => ("", r),
                None => (" ", *entry),
            };
            let (body, tail) = match rest.strip_suffix('*') {
                Some(r) => (r, ""),
                None => (rest, " "),
            };
            let body: Vec<String> = body
                .to_lowercase()
                .split(|c| !word_char(c))
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            if body.is_empty() {
                return Err(format!("`{entry}` holds no word"));
            }
            let pattern = format!("{head}{}{tail}", body.join(" "));
            let mut at = 0u32;
            for c in pattern.chars() {
                at = match w.child(at, c) {
                    Some(n) => n,
                    None => {
                        let n = w.edges.len() as u32;
                        w.edges.push(Vec::new());
                        w.fail.push(0);
                        w.hit.push(false);
                        let e = &mut w.edges[at as usize];
                        let i = e.partition_point(|&(x, _)| x < c);
                        e.insert(i, (c, n));
                        n
                    }
                };
            }
            w.hit[at as usize] = true;
        }
        // Failure links, breadth first (a state's link is shallower than the state).
        let mut queue: std::collections::VecDeque<u32> =
            w.edges[0].iter().map(|&(_, n)| n).collect();
        while let Some(s) = queue.pop_front() {
            for (c, n) in w.edges[s as usize].clone() {
                let mut f = w.fail[s as usize];
                let link = loop {
                    if let Some(x) = w.child(f, c) {
                        break x;
                    }
                    if f == 0 {
                        break 0;
                    }
                    f = w.fail[f as usize];
                };
                w.fail[n as usize] = link;
                w.hit[n as usize] |= w.hit[link as usize];
                queue.push_back(n);
            }
        }
        w.start = w.step(0, ' ');
        Ok(w)
    }

    fn child(&self, s: u32, c: char) -> Option<u32> {
        let e = &self.edges[s as usize];
        e.binary_search_by(|&(x, _)| x.cmp(&c)).ok().map(|i| e[i].1)
    }

    fn step(&self, mut s: u32, c: char) -> u32 {
        loop {
            if let Some(n) = self.child(s, c) {
                return n;
            }
            if s == 0 {
                return 0;
            }
            s = self.fail[s as usize];
        }
    }

    /// The state after character `c`, from `state` (`space`: the last character read was a
    /// space); None when `c` completes a forbidden entry.
    fn feed(&self, state: u32, space: bool, c: char) -> Option<(u32, bool)> {
        if c == '\'' {
            // An apostrophe is part of a word only inside it ("i'm"): before a word it is read
            // as a space, and after a forbidden whole word it is refused ("deal'", "code's").
            if space {
                return Some((state, true));
            }
            if self.hit[self.step(state, ' ') as usize] {
                return None;
            }
        }
        if !word_char(c) {
            if space {
                return Some((state, true));
            }
            let s = self.step(state, ' ');
            return (!self.hit[s as usize]).then_some((s, true));
        }
        let mut s = state;
        for l in c.to_lowercase() {
            s = self.step(s, l);
            if self.hit[s as usize] {
                return None;
            }
        }
        Some((s, false))
    }

    /// Whether the string may end in `state`.
    fn may_end(&self, state: u32, space: bool) -> bool {
        self.feed(state, space, ' ').is_some()
    }

    /// Whether `s` contains a forbidden entry.
    fn found_in(&self, s: &str) -> bool {
        let mut at = (self.start, true);
        for c in s.chars() {
            match self.feed(at.0, at.1, c) {
                Some(next) => at = next,
                None => return true,
            }
        }
        !self.may_end(at.0, at.1)
    }
}

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
    Str(StrState),
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

/// Where a string is: characters so far, a pending escape or multi-byte character, and the
/// forbidden words' automaton.
#[derive(Debug, Clone)]
struct StrState {
    spec: Rc<StrSpec>,
    chars: usize,
    /// 1 = after '\', 2..=5 = hex digits of \uXXXX still to come (6 - escape).
    escape: u8,
    utf8_left: u8,
    /// The code point read so far of a character that spans several bytes.
    cp: u32,
    /// Capital letters in the current word so far (`u8::MAX` once it has a lower-case one).
    caps: u8,
    /// The state of `spec.words`, and whether the last character read was a space.
    word: u32,
    space: bool,
}

impl StrState {
    fn new(spec: &Rc<StrSpec>) -> StrState {
        StrState {
            spec: spec.clone(),
            chars: 0,
            escape: 0,
            utf8_left: 0,
            cp: 0,
            word: spec.words.as_ref().map_or(0, |w| w.start),
            space: true,
            caps: 0,
        }
    }

    /// Whether the string may end here: long enough, and no forbidden word pending.
    fn may_end(&self) -> bool {
        self.chars >= self.spec.min
            && self
                .spec
                .words
                .as_ref()
                .is_none_or(|w| w.may_end(self.word, self.space))
    }

    /// Reads one whole character: false when its class or a forbidden word refuses it.
    fn read(&mut self, c: char) -> bool {
        let spec = &*self.spec;
        if spec.forbid.as_ref().is_some_and(|f| f.contains(c)) {
            return false;
        }
        if let Some(limit) = spec.capitals {
            if c.is_ascii_uppercase() {
                if self.caps != u8::MAX {
                    self.caps += 1;
                    if self.caps > limit {
                        return false;
                    }
                }
            } else if c.is_lowercase() {
                self.caps = u8::MAX;
            } else if !(c.is_alphanumeric() || c == '-' || c == '_') {
                self.caps = 0;
            }
        }
        let Some(w) = &spec.words else {
            return true;
        };
        let Some((word, space)) = w.feed(self.word, self.space, c) else {
            return false;
        };
        // The last character there is room for must not leave a word that only the end of
        // the string would complete (the string could not end at all).
        if self.chars >= spec.max && !w.may_end(word, space) {
            return false;
        }
        (self.word, self.space) = (word, space);
        true
    }
}

/// The decoding state: what may come next.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    stack: Vec<Task>,
    closing: bool,
    /// Reused by [`Matcher::accepts`], so that checking a token allocates nothing.
    scratch: RefCell<Vec<Task>>,
}

/// The stack of pending tasks, top last.
trait Stack {
    fn pop(&mut self) -> Option<Task>;
    fn push(&mut self, t: Task);
}

impl Stack for Vec<Task> {
    fn pop(&mut self) -> Option<Task> {
        Vec::pop(self)
    }
    fn push(&mut self, t: Task) {
        Vec::push(self, t)
    }
}

/// A matcher's stack left untouched: tasks above `base[..depth]` live in `top`, and a task of
/// `base` is copied only when it is reached (checking a token touches the top one or two).
struct Overlay<'a> {
    base: &'a [Task],
    depth: usize,
    top: &'a mut Vec<Task>,
}

impl Stack for Overlay<'_> {
    fn pop(&mut self) -> Option<Task> {
        self.top.pop().or_else(|| {
            self.depth = self.depth.checked_sub(1)?;
            Some(self.base[self.depth].clone())
        })
    }
    fn push(&mut self, t: Task) {
        self.top.push(t)
    }
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
        let mut top = self.scratch.borrow_mut();
        top.clear();
        let mut s = Overlay {
            base: &self.stack,
            depth: self.stack.len(),
            top: &mut top,
        };
        bytes.iter().all(|&b| feed(&mut s, self.closing, b))
    }

    /// Which bytes may come next (a token whose first byte may not needs no further check).
    pub(crate) fn first_bytes(&self) -> [bool; 256] {
        let mut out = [false; 256];
        for (b, ok) in out.iter_mut().enumerate() {
            *ok = self.accepts(&[b as u8]);
        }
        out
    }

    /// Advances over `bytes`; false (and an unspecified state) when they are not allowed.
    pub(crate) fn advance(&mut self, bytes: &[u8]) -> bool {
        bytes
            .iter()
            .all(|&b| feed(&mut self.stack, self.closing, b))
    }
}

fn feed(stack: &mut impl Stack, closing: bool, b: u8) -> bool {
    loop {
        let Some(top) = stack.pop() else {
            return false;
        };
        match top {
            Task::Value(node) => expand(stack, &node),
            Task::Lit(bytes, at) => {
                if bytes[at] != b {
                    return false;
                }
                if at + 1 < bytes.len() {
                    stack.push(Task::Lit(bytes, at + 1));
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
                    stack.push(Task::Choice(next, at + 1));
                }
                return true;
            }
            Task::Str(s) => return feed_str(stack, closing, b, s),
            Task::Num { integer, phase } => {
                if let Some(next) = num_step(phase, b, integer, closing) {
                    stack.push(Task::Num {
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
                if count >= max || (closing && count >= min) {
                    return false;
                }
                stack.push(Task::Items {
                    item: item.clone(),
                    count: count + 1,
                    min,
                    max,
                });
                stack.push(Task::Value(item));
                if count > 0 {
                    stack.push(Task::Lit(Rc::from(&b", "[..]), 0));
                }
            }
        }
    }
}

fn feed_str(stack: &mut impl Stack, closing: bool, b: u8, mut s: StrState) -> bool {
    let mut keep = |mut s: StrState, escape: u8, utf8_left: u8, cp: u32| {
        (s.escape, s.utf8_left, s.cp) = (escape, utf8_left, cp);
        stack.push(Task::Str(s));
        true
    };
    if s.escape > 0 {
        if s.escape == 1 {
            let decoded = match b {
                b'"' | b'\\' | b'/' => b as char,
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                // Any character could hide behind \uXXXX: not with forbidden characters,
                // words or a limit on capitals.
                b'u' => {
                    let free = s.spec.forbid.is_none()
                        && s.spec.words.is_none()
                        && s.spec.capitals.is_none();
                    return free && keep(s, 2, 0, 0);
                }
                _ => return false,
            };
            return s.read(decoded) && keep(s, 0, 0, 0);
        }
        if !b.is_ascii_hexdigit() {
            return false;
        }
        let next = if s.escape == 5 { 0 } else { s.escape + 1 };
        return keep(s, next, 0, 0);
    }
    if s.utf8_left > 0 {
        if !(0x80..0xC0).contains(&b) {
            return false;
        }
        let cp = (s.cp << 6) | u32::from(b & 0x3F);
        if s.utf8_left == 1 {
            return char::from_u32(cp).is_some_and(|c| s.read(c)) && keep(s, 0, 0, 0);
        }
        let left = s.utf8_left - 1;
        return keep(s, 0, left, cp);
    }
    if b == b'"' {
        return s.may_end();
    }
    // While closing, a string that may end takes no more characters (one that may not, say
    // after a forbidden whole word, goes on until it may).
    if s.chars >= s.spec.max || (closing && s.may_end()) || b < 0x20 {
        return false;
    }
    s.chars += 1;
    match b {
        b'\\' => {
            // Every escape allowed here stands for a character that is not a letter: where a
            // whole forbidden word is pending, none could follow, so the backslash would strand
            // the string (no token could continue it).
            if let Some(w) = &s.spec.words
                && w.feed(s.word, s.space, ' ').is_none()
            {
                return false;
            }
            keep(s, 1, 0, 0)
        }
        0x00..=0x7F => s.read(b as char) && keep(s, 0, 0, 0),
        0xC2..=0xDF => keep(s, 0, 1, u32::from(b & 0x1F)),
        0xE0..=0xEF => keep(s, 0, 2, u32::from(b & 0x0F)),
        0xF0..=0xF4 => keep(s, 0, 3, u32::from(b & 0x07)),
        _ => false,
    }
}

fn expand(stack: &mut impl Stack, node: &Rc<Node>) {
    match &**node {
        Node::Object(fields) => {
            stack.push(Task::Lit(Rc::from(&b"}"[..]), 0));
            for (i, (key, value)) in fields.iter().enumerate().rev() {
                stack.push(Task::Value(value.clone()));
                let mut lit = Vec::with_capacity(key.len() + 4);
                lit.extend_from_slice(if i == 0 { b"{" } else { b", " });
                lit.extend_from_slice(key);
                lit.extend_from_slice(b": ");
                stack.push(Task::Lit(Rc::from(lit), 0));
            }
            if fields.is_empty() {
                stack.push(Task::Lit(Rc::from(&b"{"[..]), 0));
            }
        }
        Node::Array { item, min, max } => {
            stack.push(Task::Items {
                item: item.clone(),
                count: 0,
                min: *min,
                max: *max,
            });
            stack.push(Task::Lit(Rc::from(&b"["[..]), 0));
        }
        Node::Str(spec) => {
            stack.push(Task::Str(StrState::new(spec)));
            stack.push(Task::Lit(Rc::from(&b"\""[..]), 0));
        }
        Node::Integer => stack.push(Task::Num {
            integer: true,
            phase: NumPhase::Start,
        }),
        Node::Number => stack.push(Task::Num {
            integer: false,
            phase: NumPhase::Start,
        }),
        Node::Literal(_) => stack.push(Task::Choice(node.clone(), 0)),
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
        Node::Str(spec) => 2 + spec.min,
        Node::Integer | Node::Number => 1,
        Node::Literal(options) => options.iter().map(|o| o.len()).min().unwrap_or(0),
    }
}

fn task_min(t: &Task) -> usize {
    match t {
        Task::Value(n) => node_min(n),
        Task::Lit(bytes, at) => bytes.len() - at,
        Task::Choice(n, at) => node_min(n).saturating_sub(*at),
        Task::Str(s) => {
            1 + s.spec.min.saturating_sub(s.chars)
                + usize::from(s.utf8_left)
                + usize::from(s.escape)
        }
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
    fn forbidden_words_cannot_be_produced() {
        let s = JsonSchema::parse(
            r#"{"type":"string","maxLength":40,
                "x-forbidden-words":["discount*","code","i","gift card","*折扣*"]}"#,
        )
        .unwrap();
        let doc = |t: &str| format!("\"{t}\"");
        // Whole words, any case, at any non-letter or the end of the string.
        for bad in [
            "Code",
            "a CODE, b",
            "I love it",
            "so do I",
            "I.",
            "a gift card",
            "a Gift-Card!",
            "打折扣",
            "discount",
            // `discount*` forbids words that begin with it: "discountenance" too (documented).
            "Discountenance",
            "discounted items",
            // An apostrophe cannot hide a whole word.
            "a code'",
            "'code",
            "code's",
            "I'd",
        ] {
            let m = s.matcher();
            assert!(!m.accepts(doc(bad).as_bytes()), "{bad} must be refused");
            assert!(s.validate(&serde_json::json!(bad)).is_err(), "{bad}");
        }
        for good in [
            "codes",
            "decode",
            "It is new",
            "Ideas",
            "gift cards",
            "a gift, a card",
            "undiscounted",
            "it's 'fine'",
        ] {
            let m = s.matcher();
            assert!(m.accepts(doc(good).as_bytes()), "{good} must be accepted");
            assert!(s.validate(&serde_json::json!(good)).is_ok(), "{good}");
        }
        // The byte that completes the word is the one refused; the word's letters are fine.
        let mut m = s.matcher();
        assert!(m.advance(b"\"so I"));
        assert!(!m.accepts(b" ") && !m.accepts(b"\"") && !m.accepts(b","));
        assert!(m.accepts(b"t"));
        // Nor may an escape follow it (each stands for a non-letter): it would strand the string.
        assert!(!m.accepts(b"\\"));
        assert!(s.matcher().accepts(b"\"so \\\"new\\\""));
        // \u escapes could spell a word: refused.
        assert!(!s.matcher().accepts(b"\"\\u0069"));
        // Closing: a pending whole word goes on until the string may end.
        m.close();
        assert!(!m.accepts(b"\""));
        assert!(m.advance(b"t"));
        assert!(!m.accepts(b"s") && m.accepts(b"\""));
        // The last character there is room for cannot leave a word only the end completes.
        let short =
            JsonSchema::parse(r#"{"type":"string","maxLength":3,"x-forbidden-words":["i"]}"#)
                .unwrap();
        assert!(!short.matcher().accepts(b"\"a I"));
        assert!(short.matcher().accepts(b"\"a b\""));
        assert!(JsonSchema::parse(r#"{"type":"string","x-forbidden-words":["*"]}"#).is_err());
        // No code-shaped word: at most five capitals in a word written all in capitals.
        let caps = JsonSchema::parse(r#"{"type":"string","x-max-capitals":5}"#).unwrap();
        for (t, ok) in [
            ("\"TEA TOWEL WELCO\"", true),
            ("\"WELCOME", false),
            ("\"BACK-TO", false),
            ("\"Welcome BACKtoSCHOOL\"", true),
            ("\"WELCOMe", false),
            ("\"Wonderful WELCOMING\"", false),
            ("\"aWELCOMEb\"", true),
        ] {
            assert_eq!(caps.matcher().accepts(t.as_bytes()), ok, "{t}");
        }
        // \u escapes could spell capitals: refused; 255 is not a limit that can be kept.
        assert!(!caps.matcher().accepts(b"\"\\u0057"));
        assert!(JsonSchema::parse(r#"{"type":"string","x-max-capitals":255}"#).is_err());
        assert!(JsonSchema::parse(r#"{"type":"string","x-forbidden-words":"code"}"#).is_err());
    }

    #[test]
    fn checking_a_token_leaves_the_matcher_unchanged() {
        let s = schema();
        let mut m = s.matcher();
        assert!(m.advance(br#"{"subject": "ab"#));
        let first = m.first_bytes();
        assert!(first[b'c' as usize] && first[b'"' as usize] && !first[0x01]);
        assert!(m.accepts(br#"c", "body": ""#));
        assert!(!m.accepts(br#"c", "nope"#));
        assert!(m.advance(br#"", "body": "x"#));
        assert!(m.accepts(br#"", "n": 1"#));
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
