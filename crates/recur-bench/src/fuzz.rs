//! A mutation fuzzer for recur's parsers on stable Rust: seeded inputs (valid examples, then
//! bytes flipped, inserted, deleted, duplicated, spliced with another example or with tokens
//! that break parsers: quotes, separators, huge numbers, "no date" dates, byte-order marks,
//! invalid UTF-8), each fed to the parser behind a panic catcher. A panic is a bug: the input
//! is written to the crash folder so it can become a regression test.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use recur_campaign::{CampaignSpec, Ledger, import_redemptions_from};
use recur_engine::prelude::{Format, ImportRequest, Mapping, Table};
use recur_llm::{JsonSchema, LocalModel, LocalOptions};
use serde::Serialize;

/// A parser the fuzzer drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FuzzTarget {
    /// Orders as CSV, canonical columns, through coercion and classification.
    Csv,
    /// CDNOW-style whitespace-separated text with the `cdnow` preset.
    Whitespace,
    /// Events as JSON lines.
    Jsonl,
    /// Orders as Parquet (mutated files).
    Parquet,
    /// Column-mapping files (TOML), checked against every table.
    Mapping,
    /// Campaign definitions (TOML).
    Spec,
    /// Coupon-redemption files (CSV) into a send ledger.
    Redemptions,
    /// JSON schemas for constrained decoding.
    JsonSchema,
    /// GGUF model files: header, metadata and tensor index.
    Gguf,
    /// Text through the default model's tokenizer, encoded and decoded again.
    Tokenizer,
}

impl FuzzTarget {
    /// Every target.
    pub const ALL: [FuzzTarget; 10] = [
        FuzzTarget::Csv,
        FuzzTarget::Whitespace,
        FuzzTarget::Jsonl,
        FuzzTarget::Parquet,
        FuzzTarget::Mapping,
        FuzzTarget::Spec,
        FuzzTarget::Redemptions,
        FuzzTarget::JsonSchema,
        FuzzTarget::Gguf,
        FuzzTarget::Tokenizer,
    ];

    /// The target's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FuzzTarget::Csv => "csv",
            FuzzTarget::Whitespace => "whitespace",
            FuzzTarget::Jsonl => "jsonl",
            FuzzTarget::Parquet => "parquet",
            FuzzTarget::Mapping => "mapping",
            FuzzTarget::Spec => "spec",
            FuzzTarget::Redemptions => "redemptions",
            FuzzTarget::JsonSchema => "json-schema",
            FuzzTarget::Gguf => "gguf",
            FuzzTarget::Tokenizer => "tokenizer",
        }
    }

    /// The target named `name`.
    pub fn parse(name: &str) -> Option<FuzzTarget> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// What one target's run found.
#[derive(Debug, Clone, Serialize)]
pub struct FuzzReport {
    /// The parser.
    pub target: FuzzTarget,
    /// Inputs tried.
    pub inputs: u64,
    /// Inputs the parser accepted (the rest were refused with an error, as they should be).
    pub accepted: u64,
    /// Inputs that made the parser panic.
    pub panics: u64,
    /// Where the panicking inputs were written.
    pub crashes: Vec<PathBuf>,
    /// Wall time.
    pub seconds: f64,
    /// Threads used.
    pub threads: usize,
}

/// How to fuzz.
#[derive(Debug, Clone)]
pub struct FuzzOptions {
    /// Inputs per target.
    pub inputs: u64,
    /// Seed of the mutations (input i is drawn from a stream of its own, derived from it).
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Folder for scratch files and crashing inputs.
    pub dir: PathBuf,
    /// The GGUF model whose tokenizer the `tokenizer` target uses.
    pub model: PathBuf,
}

/// Mutated inputs run through `target`; panics are caught, counted and their inputs saved.
///
/// Errors: the scratch folder cannot be created, or the tokenizer's model cannot be loaded.
pub fn fuzz(
    target: FuzzTarget,
    opts: &FuzzOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<FuzzReport, String> {
    let scratch = opts.dir.join("scratch").join(target.name());
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let crash_dir = opts.dir.join("crashes").join(target.name());
    let tokenizer = match target {
        FuzzTarget::Tokenizer => Some(
            LocalModel::load(&opts.model, &LocalOptions::default())
                .map_err(|e| format!("the tokenizer target needs the model: {e}"))?,
        ),
        _ => None,
    };
    let seeds = seeds(target, &scratch)?;
    let threads = opts.threads.max(1);
    let next = AtomicU64::new(0);
    let accepted = AtomicU64::new(0);
    let crashes = Mutex::new(Vec::new());
    let started = Instant::now();
    let quiet = QuietPanics::install();
    std::thread::scope(|scope| {
        for tid in 0..threads {
            let (seeds, scratch, next, accepted, crashes) =
                (&seeds, &scratch, &next, &accepted, &crashes);
            let (tokenizer, crash_dir) = (tokenizer.as_ref(), &crash_dir);
            scope.spawn(move || {
                let dir = scratch.join(format!("t{tid}"));
                let _ = std::fs::create_dir_all(&dir);
                let mut runner = Runner::new(target, &dir, tokenizer);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= opts.inputs {
                        break;
                    }
                    // Input i comes from its own stream: the same seed gives the same inputs
                    // whatever the threads, and a crash's number regenerates it.
                    let mut rng = ChaCha8Rng::seed_from_u64(
                        opts.seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                    );
                    let input = mutate(&mut rng, seeds, dictionary(target));
                    match catch_unwind(AssertUnwindSafe(|| runner.run(&input))) {
                        Ok(true) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(false) => {}
                        Err(_) => {
                            let _ = std::fs::create_dir_all(crash_dir);
                            let path = crash_dir.join(format!("{i:012}.bin"));
                            let _ = std::fs::write(&path, &input);
                            if let Ok(mut c) = crashes.lock() {
                                c.push(path);
                            }
                            // The runner's state may be broken by the unwinding: start afresh.
                            runner = Runner::new(target, &dir, tokenizer);
                        }
                    }
                    if tid == 0 && i % 1024 == 0 {
                        progress(i);
                    }
                }
            });
        }
    });
    drop(quiet);
    let mut crashes = crashes.into_inner().unwrap_or_default();
    crashes.sort();
    Ok(FuzzReport {
        target,
        inputs: opts.inputs,
        accepted: accepted.into_inner(),
        panics: crashes.len() as u64,
        crashes,
        seconds: started.elapsed().as_secs_f64(),
        threads,
    })
}

/// A panic hook, as `std::panic::take_hook` returns it.
type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Silences the panic message of caught panics for the run (the inputs are saved instead).
struct QuietPanics {
    previous: Option<PanicHook>,
}

impl QuietPanics {
    fn install() -> QuietPanics {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        QuietPanics {
            previous: Some(previous),
        }
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            std::panic::set_hook(previous);
        }
    }
}

/// One thread's parser state: the file name its inputs go by (every input stays in memory)
/// and whatever the target keeps open.
struct Runner<'a> {
    target: FuzzTarget,
    file: PathBuf,
    ledger: Option<Ledger>,
    tokenizer: Option<&'a LocalModel>,
}

impl<'a> Runner<'a> {
    fn new(target: FuzzTarget, dir: &Path, tokenizer: Option<&'a LocalModel>) -> Runner<'a> {
        let ext = match target {
            FuzzTarget::Csv | FuzzTarget::Redemptions => "csv",
            FuzzTarget::Whitespace => "txt",
            FuzzTarget::Jsonl => "jsonl",
            FuzzTarget::Parquet => "parquet",
            FuzzTarget::Gguf => "gguf",
            _ => "toml",
        };
        let ledger = (target == FuzzTarget::Redemptions)
            .then(|| Ledger::open(&dir.join("ledger.sqlite")).ok())
            .flatten();
        Runner {
            target,
            file: dir.join(format!("input.{ext}")),
            ledger,
            tokenizer,
        }
    }

    /// Runs the parser on `input`; whether it accepted it.
    fn run(&mut self, input: &[u8]) -> bool {
        let text = || String::from_utf8_lossy(input);
        match self.target {
            FuzzTarget::Csv | FuzzTarget::Whitespace | FuzzTarget::Jsonl | FuzzTarget::Parquet => {
                // The import's own readers and rules on the bytes in memory (the file name only
                // labels messages): the same code as a file, without the disk in the loop.
                let (table, format, mapping) = match self.target {
                    FuzzTarget::Csv => (Table::Orders, Format::Csv, Mapping::default()),
                    FuzzTarget::Whitespace => (
                        Table::Orders,
                        Format::Whitespace,
                        Mapping::preset("cdnow", Table::Orders).unwrap_or_default(),
                    ),
                    FuzzTarget::Jsonl => (Table::Events, Format::Jsonl, Mapping::default()),
                    _ => (Table::Orders, Format::Parquet, Mapping::default()),
                };
                let req = ImportRequest {
                    table,
                    path: self.file.clone(),
                    format: Some(format),
                    mapping,
                    mapping_label: "fuzz".into(),
                };
                recur_ingest::check_bytes(&req, input).is_ok()
            }
            FuzzTarget::Mapping => match Mapping::from_toml(&text()) {
                Ok(m) => Table::ALL.iter().any(|t| m.validate(*t).is_ok()),
                Err(_) => false,
            },
            FuzzTarget::Spec => CampaignSpec::parse(&text(), Path::new("fuzz.toml")).is_ok(),
            FuzzTarget::JsonSchema => JsonSchema::parse(&text()).is_ok(),
            FuzzTarget::Redemptions => {
                let Some(ledger) = self.ledger.as_mut() else {
                    return false;
                };
                import_redemptions_from(ledger, Path::new("fuzz.csv"), input, 1_700_000_000).is_ok()
            }
            FuzzTarget::Gguf => LocalModel::load_bytes(
                Path::new("fuzz.gguf"),
                input.to_vec(),
                &LocalOptions::default(),
            )
            .is_ok(),
            FuzzTarget::Tokenizer => {
                let Some(model) = self.tokenizer else {
                    return false;
                };
                let tok = model.tokenizer();
                match tok.encode(&text(), true) {
                    Ok(ids) => tok.decode(&ids, false).is_ok(),
                    Err(_) => false,
                }
            }
        }
    }
}

/// Tokens that break parsers, per target.
fn dictionary(target: FuzzTarget) -> &'static [&'static [u8]] {
    const COMMON: &[&[u8]] = &[
        b"\"",
        b",",
        b"\n",
        b"\r\n",
        b"\t",
        b" ",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\xc3",
        b"\x00",
        b"1e308",
        b"-1e308",
        b"inf",
        b"NaN",
        b"-0",
        b"99999999999999999999",
        b"0.000001",
        b"9999-12-31",
        b"0001-01-01",
        b"1677-09-21",
        b"2262-04-12",
        b"2024-02-30",
        b"9223372036854775807",
        b"-9223372036854775808",
        b"18446744073709551616",
        "\u{1F600}".as_bytes(),
        "\u{4E2D}\u{6587}".as_bytes(),
        b"=cmd|' /C calc'!A0",
    ];
    const TOML: &[&[u8]] = &[
        b"[",
        b"]",
        b"[[",
        b"]]",
        b"=",
        b"\"\"\"",
        b"'",
        b"{",
        b"}",
        b"[columns]",
        b"[constants]",
        b"[rules]",
        b"[audience]",
        b"[[offers]]",
        b"[fairness]",
        b"true",
        b"false",
        b"#",
        b".",
        b"format = \"csv\"",
        b"date_format = \"unix\"",
        b"date_format = \"%Y\"",
        b"timezone = \"X\"",
        b"holdout = 1.5",
        b"holdout = -1",
        b"discount = 1e308",
        b"min_ratio = 2",
        b"send_window = \"25:00-99:00\"",
        b"sql = \"SELECT\"",
    ];
    const JSON: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b"null",
        b"true",
        b"\\u0000",
        b"\\ud800",
        b"\"type\"",
        b"\"enum\"",
        b"\"pattern\"",
        b"\"^[^0-9]*$\"",
        b"\"maxLength\"",
        b"\"properties\"",
        b"\"required\"",
        b"\"items\"",
        b"\"minItems\": 4294967296",
        b"\"anyOf\"",
        b"\"$ref\"",
        b"\"event_type\"",
        b"\"occurred_at\"",
        b"1700000000",
    ];
    const BINARY: &[&[u8]] = &[
        b"PAR1",
        b"GGUF",
        b"\x00\x00\x00\x00",
        b"\xff\xff\xff\xff",
        b"\xff\xff\xff\xff\xff\xff\xff\x7f",
        b"\x01\x00\x00\x00\x00\x00\x00\x00",
        b"\x03\x00\x00\x00",
        b"\x08\x00\x00\x00",
    ];
    match target {
        FuzzTarget::Mapping | FuzzTarget::Spec => TOML,
        FuzzTarget::JsonSchema | FuzzTarget::Jsonl => JSON,
        FuzzTarget::Parquet | FuzzTarget::Gguf => BINARY,
        _ => COMMON,
    }
}

/// One mutated input: a seed changed one to eight times.
fn mutate(rng: &mut ChaCha8Rng, seeds: &[Vec<u8>], dict: &[&[u8]]) -> Vec<u8> {
    let mut v = seeds[rng.random_range(0..seeds.len())].clone();
    for _ in 0..rng.random_range(1..=8) {
        let at = |rng: &mut ChaCha8Rng, len: usize| rng.random_range(0..=len);
        match rng.random_range(0..8) {
            0 if !v.is_empty() => {
                let i = rng.random_range(0..v.len());
                v[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = at(rng, v.len());
                v.insert(i, rng.random());
            }
            2 | 3 => {
                let i = at(rng, v.len());
                let token = dict[rng.random_range(0..dict.len())];
                v.splice(i..i, token.iter().copied());
            }
            4 if !v.is_empty() => {
                let i = rng.random_range(0..v.len());
                let n = rng.random_range(1..=(v.len() - i).min(64));
                v.drain(i..i + n);
            }
            5 if !v.is_empty() => {
                let i = rng.random_range(0..v.len());
                let n = rng.random_range(1..=(v.len() - i).min(256));
                let copy: Vec<u8> = v[i..i + n].to_vec();
                let j = at(rng, v.len());
                v.splice(j..j, copy);
            }
            6 => {
                let other = &seeds[rng.random_range(0..seeds.len())];
                let cut = at(rng, v.len());
                let from = at(rng, other.len());
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            }
            7 if !v.is_empty() => {
                let keep = rng.random_range(0..v.len());
                v.truncate(keep);
            }
            _ => {}
        }
        if v.len() > 1 << 16 {
            v.truncate(1 << 16);
        }
    }
    v
}

/// Valid examples of each target's input.
fn seeds(target: FuzzTarget, scratch: &Path) -> Result<Vec<Vec<u8>>, String> {
    let text = |items: &[&str]| items.iter().map(|s| s.as_bytes().to_vec()).collect();
    Ok(match target {
        FuzzTarget::Csv => text(&[
            "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status\n\
             a1,A,2024-01-01T10:00:00Z,coffee,1,10,EUR,completed\n\
             a2,A,2024-01-20 10:00:00,coffee,2,10.50,EUR,cancelled\n\
             b1,B,2024-01-15,kettle,-1,50,EUR,returned\n",
            "order_id,customer_id,ordered_at,product_id,quantity,amount,currency\n\
             \"o,1\",\"C \"\"1\"\"\",2011-12-09T12:50:00+01:00,p1,3,\"7,5\",GBP\n",
        ]),
        FuzzTarget::Whitespace => text(&[
            "00001 19970101 1 11.77\n00002 19970112 1 12.00\n00002 19970112 5 77.00\n",
            "00003 19970102 2 20.76\n\n00003 19970330 2 20.76\n",
        ]),
        FuzzTarget::Jsonl => text(&[
            "{\"customer_id\":\"c1\",\"occurred_at\":\"2024-01-01T10:00:00Z\",\"event_type\":\"view\",\"product_id\":\"p1\"}\n\
             {\"customer_id\":\"c1\",\"occurred_at\":1700000000,\"event_type\":\"search\",\"search_text\":\"decaf\"}\n",
            "{\"session_id\":\"s\",\"occurred_at\":\"2024-01-02\",\"event_type\":\"add_to_cart\",\"product_id\":\"p2\"}\n",
        ]),
        FuzzTarget::Parquet => vec![parquet_seed(scratch)?],
        FuzzTarget::Mapping => text(&[
            "format = \"csv\"\ndelimiter = \";\"\nencoding = \"latin1\"\ntimezone = \"Europe/London\"\n\
             date_format = \"%d/%m/%Y %H:%M\"\ndecimal_comma = true\n[columns]\norder_id = \"InvoiceNo\"\n\
             customer_id = \"CustomerID\"\n[constants]\ncurrency = \"GBP\"\n",
            "header = \"no\"\n[columns]\ncustomer_id = 1\nordered_at = 2\n",
        ]),
        FuzzTarget::Spec => text(&[
            "id = \"autumn\"\ngoal_days = 30\nchannel = \"email\"\nholdout_share = 0.2\n\
             [audience]\nsegments = [\"At Risk\"]\nmin_p_alive = 0.1\n\
             [[offers]]\nname = \"10% off\"\nkind = \"percent_off\"\npercent = 10\ncode_prefix = \"FALL\"\n",
            "id = \"spring\"\ngoal_days = 14\nchannel = \"email\"\n\
             link = \"https://shop.example/a\"\n[audience]\nsql = \"SELECT customer_id FROM rfm\"\n\
             [[offers]]\nname = \"note\"\nkind = \"none\"\n[fairness]\nmin_ratio = 0.8\n",
        ]),
        FuzzTarget::Redemptions => text(&[
            "code,order_id,discount,redeemed_at\nWB-1,o1,5.0,2024-01-02\nWB-2,o2,2.5,\n",
            "code,order_id,discount\nX,o3,1e3\n",
        ]),
        FuzzTarget::JsonSchema => text(&[
            "{\"type\":\"object\",\"properties\":{\"subject\":{\"type\":\"string\",\"maxLength\":60,\
             \"pattern\":\"^[^0-9$%]*$\"},\"lead\":{\"enum\":[\"Tea\",\"Coffee\"]}},\
             \"required\":[\"subject\",\"lead\"]}",
            "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":3}",
        ]),
        FuzzTarget::Gguf => vec![gguf_seed()],
        FuzzTarget::Tokenizer => text(&[
            "Hello again! We thought you might like these: House Coffee, Green Tea.",
            "您好，欢迎回来。我们为您挑选了这些商品。",
            "<|im_start|>user\nhi<|im_end|>\n",
        ]),
    })
}

/// A small orders Parquet file, written by the importer itself.
fn parquet_seed(scratch: &Path) -> Result<Vec<u8>, String> {
    let dir = scratch.join("seed");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let csv = dir.join("orders.csv");
    std::fs::write(
        &csv,
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\n\
         o1,c1,2024-01-05 10:00:00,p1,2,9.50,EUR\no2,c2,2024-01-06 10:00:00,p2,1,3,EUR\n",
    )
    .map_err(|e| e.to_string())?;
    let store = recur_ingest::Store::create(&dir.join("data")).map_err(|e| e.to_string())?;
    let req = ImportRequest {
        table: Table::Orders,
        path: csv,
        format: None,
        mapping: Mapping::default(),
        mapping_label: "seed".into(),
    };
    recur_ingest::import(&store, &req, &recur_ingest::NoProgress).map_err(|e| e.to_string())?;
    let file = store
        .table_files(Table::Orders)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("the seed import stored no file")?;
    std::fs::read(file).map_err(|e| e.to_string())
}

/// A tiny GGUF file (version 3): a llama architecture's metadata, a two-token vocabulary and
/// one small tensor.
fn gguf_seed() -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let mut out = b"GGUF".to_vec();
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&1u64.to_le_bytes()); // tensors
    out.extend_from_slice(&4u64.to_le_bytes()); // metadata pairs
    string(&mut out, "general.architecture");
    out.extend_from_slice(&8u32.to_le_bytes()); // string
    string(&mut out, "llama");
    string(&mut out, "llama.block_count");
    out.extend_from_slice(&4u32.to_le_bytes()); // u32
    out.extend_from_slice(&1u32.to_le_bytes());
    string(&mut out, "tokenizer.ggml.model");
    out.extend_from_slice(&8u32.to_le_bytes());
    string(&mut out, "gpt2");
    string(&mut out, "tokenizer.ggml.tokens");
    out.extend_from_slice(&9u32.to_le_bytes()); // array
    out.extend_from_slice(&8u32.to_le_bytes()); // of strings
    out.extend_from_slice(&2u64.to_le_bytes());
    string(&mut out, "a");
    string(&mut out, "b");
    string(&mut out, "token_embd.weight");
    out.extend_from_slice(&2u32.to_le_bytes()); // dimensions
    out.extend_from_slice(&4u64.to_le_bytes());
    out.extend_from_slice(&2u64.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // f32
    out.extend_from_slice(&0u64.to_le_bytes()); // offset
    while !out.len().is_multiple_of(32) {
        out.push(0);
    }
    out.extend(std::iter::repeat_n(0u8, 4 * 2 * 4));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short version of the benchmark run: every parser, a few thousand inputs, no panic.
    #[test]
    fn parsers_survive_mutated_inputs() {
        let dir = std::env::temp_dir().join(format!("recur-fuzz-test-{}", std::process::id()));
        let model = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
        for target in FuzzTarget::ALL {
            if target == FuzzTarget::Tokenizer && !model.exists() {
                continue;
            }
            let inputs = match target {
                FuzzTarget::Gguf | FuzzTarget::Parquet | FuzzTarget::Redemptions => 500,
                _ => 2_000,
            };
            let opts = FuzzOptions {
                inputs,
                seed: 7,
                threads: 2,
                dir: dir.clone(),
                model: model.clone(),
            };
            let r = fuzz(target, &opts, &|_| {}).unwrap();
            assert_eq!(r.inputs, inputs);
            assert_eq!(r.panics, 0, "{}: {:?}", target.name(), r.crashes);
            // The mutations keep some inputs valid, so the parsers' happy paths run too.
            assert!(
                r.accepted > 0 || target == FuzzTarget::Gguf,
                "{}: none accepted",
                target.name()
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn mutations_are_seeded() {
        let seeds = vec![b"abc,def\n".to_vec()];
        let a: Vec<Vec<u8>> = {
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            (0..50)
                .map(|_| mutate(&mut rng, &seeds, dictionary(FuzzTarget::Csv)))
                .collect()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let b: Vec<Vec<u8>> = (0..50)
            .map(|_| mutate(&mut rng, &seeds, dictionary(FuzzTarget::Csv)))
            .collect();
        assert_eq!(a, b);
        assert!(a.iter().any(|m| m != &seeds[0]));
    }
}
